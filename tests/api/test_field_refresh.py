"""A running app sees a comfort field rebuilt or updated by another process (kaiteki comfort
update): what it computed from the old file is dropped, nothing else."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from api import resources
from api.settings import Settings


def test_a_changed_field_file_drops_what_was_computed_from_it(
    prepared: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resources, "FIELD_CHECK_S", 0.0)
    res = resources.for_settings(prepared)
    at = dt.datetime(prepared.demo_year, 1, 20, 8)
    res.refresh_fields()  # the first look only notes what is there
    res.route_weights_pair("comfortable", at, 1.0)
    graph = res.compiled()
    assert res.route_weights_ready("comfortable", at, 1.0)
    assert not res.refresh_fields()  # nothing changed: everything is kept

    path = res.field_file(prepared.demo_year)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        assert not res.route_weights_ready("comfortable", at, 1.0)  # dropped: recomputed
        cond = res.conditions(at)
        assert cond.to_dict()["field_source"] == "exact"
        assert res.compiled() is graph  # the area model is not reloaded
    finally:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
