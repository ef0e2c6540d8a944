"""PostgreSQL store connections cut during their set-up (a server shutting down) are retried."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors

from sensors.errors import StoreError
from sensors.storage import postgres

URL = "postgresql://postgres@127.0.0.1:5432/nowhere"


class _Cut:
    """A connection whose first statement fails as when the server is shutting down."""

    def __init__(self, log: list[str], fail: bool) -> None:
        self.log, self.fail, self.closed = log, fail, False

    def execute(self, sql: str) -> None:
        self.log.append(sql)
        if self.fail:
            raise pg_errors.AdminShutdown("terminating connection due to administrator command")

    def close(self) -> None:
        self.closed = True


def _fake_connect(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[_Cut]:
    made: list[_Cut] = []
    log: list[str] = []

    def connect(*_: Any, **__: Any) -> _Cut:
        made.append(_Cut(log, fail=len(made) < failures))
        return made[-1]

    monkeypatch.setattr(postgres.psycopg, "connect", connect)
    return made


def test_a_connection_cut_during_set_up_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    made = _fake_connect(monkeypatch, failures=2)
    store = postgres.PostgresStore(URL, read_only=True, wait_s=5.0)
    pg = store._connect_pg()
    assert pg is made[-1] and len(made) == 3
    assert made[0].closed and made[1].closed and not made[2].closed
    assert made[2].log[-2:] == [
        "SET TimeZone = 'Asia/Tokyo'",
        "SET default_transaction_read_only = on",
    ]


def test_a_server_still_going_down_is_a_store_error(monkeypatch: pytest.MonkeyPatch) -> None:
    made = _fake_connect(monkeypatch, failures=10**6)
    store = postgres.PostgresStore(URL, read_only=True, wait_s=0.0)
    with pytest.raises(StoreError, match="try again in a few seconds") as err:
        store._connect_pg()
    assert isinstance(err.value.__cause__, psycopg.OperationalError)
    assert all(c.closed for c in made)
