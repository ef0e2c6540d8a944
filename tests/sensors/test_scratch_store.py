"""The per-thread scratch store that validates API batches comes back empty after every use."""

from __future__ import annotations

import threading

import pytest

from sensors.scratch import scratch_store

ROW = "INSERT INTO page_views VALUES (DATE '2022-01-20', '/map', 3, false)"


def _counts(store) -> dict[str, int]:  # type: ignore[no-untyped-def]
    tables = store.con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
    ).fetchall()
    return {t: store.con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for (t,) in tables}


def test_every_data_table_is_emptied_and_the_store_reused() -> None:
    with scratch_store() as first:
        version = first.schema_version()
        first.con.execute(ROW)
    with scratch_store() as again:
        counts = _counts(again)
        assert again is first
        assert again.schema_version() == version  # schema_version is kept
    assert counts["schema_version"] > 0
    assert all(n == 0 for t, n in counts.items() if t != "schema_version"), counts


def test_a_failed_use_leaves_nothing_behind() -> None:
    with pytest.raises(RuntimeError), scratch_store() as s:
        s.con.execute("BEGIN TRANSACTION")
        s.con.execute(ROW)
        raise RuntimeError("the batch broke half-way")
    with scratch_store() as s:
        assert s.con.execute("SELECT count(*) FROM page_views").fetchone()[0] == 0


def test_each_thread_has_its_own_store() -> None:
    seen: list[object] = []

    def use() -> None:
        with scratch_store() as s:
            s.con.execute(ROW)
            seen.append(s)

    threads = [threading.Thread(target=use) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with scratch_store() as mine:
        seen.append(mine)
    assert len({id(s) for s in seen}) == 3
