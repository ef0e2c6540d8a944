"""
``kaiteki ingest recheck``: registry-dependent flags recomputed after the registry changes, on
both store backends.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from comfort.qcflags import QCFlag
from sensors.errors import StoreError
from sensors.ingest import ingest_file
from sensors.recheck import audit_path, recheck_registry
from sensors.store import Store

READINGS = (
    "time,sensor_id,air_temp_c,rel_humidity_pct,wind_speed_m_s,globe_temp_c\n"
    "2022-01-31T23:00:00+09:00,S1,-3.5,70,2.0,-2.0\n"
    "2022-02-01T00:00:00+09:00,S1,-3.9,71,1.8,-2.4\n"
    "2022-02-01T01:00:00+09:00,S1,-4.2,72,,-2.9\n"
    "2022-02-01T00:00:00+09:00,S2,-3.0,70,2.0,-2.0\n"
    "2022-02-01T00:00:00+09:00,S3,-3.0,70,2.0,-2.0\n"
)
#: S1 installed between its first and second reading; S2 registered far outside the area;
#: S3 stays unregistered.
REGISTRY = (
    "sensor_id,kind,lat,lon,level,height_m,installed\n"
    "S1,fixed,43.06,141.35,0,2.0,2022-02-01T00:00:00+09:00\n"
    "S2,fixed,35.68,139.76,0,2.0,\n"
)
#: A box around downtown Sapporo (lon/lat).
AREA = shapely.box(141.30, 43.03, 141.40, 43.09)


def _flags(store: Store) -> dict[tuple[str, str], int]:
    df = store.query("SELECT sensor_id, time, qc_flags FROM readings")
    return {
        (r.sensor_id, r.time.tz_convert("Asia/Tokyo").strftime("%Y-%m-%dT%H")): int(r.qc_flags)
        for r in df.itertuples()
    }


def test_recheck_after_registering_the_sensors(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a PostgreSQL store's audit goes to the current folder
    (tmp_path / "r.csv").write_text(READINGS)
    (tmp_path / "reg.csv").write_text(REGISTRY)
    with Store(store_url) as store:
        ingest_file(store, "thermal", tmp_path / "r.csv", area=AREA)
        before = _flags(store)
        assert all(f & QCFlag.UNREGISTERED for f in before.values())
        flagged_before = int(store.query("SELECT flagged FROM files")["flagged"][0])
        assert flagged_before == 5
        ingest_file(store, "sensors", tmp_path / "reg.csv")
        dry = recheck_registry(store, AREA, dry_run=True)
        assert dry.rows_changed == 4 and _flags(store) == before  # nothing written
        result = recheck_registry(store, AREA)
        after = _flags(store)
        flagged_after = int(
            store.query("SELECT flagged FROM files WHERE kind = 'thermal'")["flagged"][0]
        )
    assert result.rows_changed == 4
    assert [s["sensor_id"] for s in result.sensors] == ["S1", "S2"]
    s1 = {k[1]: QCFlag(v) for k, v in after.items() if k[0] == "S1"}
    assert s1["2022-01-31T23"] == QCFlag.BEFORE_INSTALL  # before its installation (JST)
    assert s1["2022-02-01T00"] == QCFlag(0)
    assert s1["2022-02-01T01"] == QCFlag.MISSING  # the reading's own flag is kept
    s2 = [QCFlag(v) for k, v in after.items() if k[0] == "S2"]
    assert s2 == [QCFlag.OUTSIDE_AREA]
    s3 = [QCFlag(v) for k, v in after.items() if k[0] == "S3"]
    assert s3 and all(f & QCFlag.UNREGISTERED for f in s3)  # still not registered
    assert flagged_after == 4  # S1's clean reading no longer counts as flagged
    with Store(store_url) as store:  # idempotent: nothing left to change, nothing audited
        again = recheck_registry(store, AREA)
        assert again.rows_changed == 0 and _flags(store) == after
    lines = audit_path(store_url).read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["action"] == "recheck_registry" and entry["rows_changed"] == 4
    assert audit_path(store_url).parent.resolve() == tmp_path.resolve()
    assert entry["sensors"][0]["flags_before"] == {"unregistered": 2, "missing|unregistered": 1}
    assert len(audit_path(store_url).read_text().splitlines()) == 1


def test_recheck_rolls_back_a_failed_run(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that fails half-way (the second sensor's area test; the first sensor's rows are
    already updated in the transaction) keeps nothing and audits nothing."""
    import sensors.qc

    (tmp_path / "r.csv").write_text(READINGS)
    (tmp_path / "reg.csv").write_text(REGISTRY)
    real = sensors.qc.area_flags
    calls: list[int] = []

    def failing_second(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("area lost")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    with Store(store_url) as store:
        ingest_file(store, "thermal", tmp_path / "r.csv")
        ingest_file(store, "sensors", tmp_path / "reg.csv")
        before = _flags(store)
        monkeypatch.setattr(sensors.qc, "area_flags", failing_second)
        with pytest.raises(RuntimeError, match="area lost"):
            recheck_registry(store, AREA, audit_dir=tmp_path)
        assert len(calls) == 2
        assert _flags(store) == before
        flagged = store.query("SELECT flagged FROM files WHERE kind = 'thermal'")["flagged"]
        assert int(flagged[0]) == 5
    assert not list(tmp_path.glob("*.audit.jsonl"))


def test_postgresql_audit_path_names_the_database() -> None:
    a = audit_path("postgresql://postgres@db:5432/kaiteki", "/srv")
    b = audit_path("postgresql://postgres:secret@db:5432/kaiteki", "/srv")
    c = audit_path("postgresql://postgres@other:5432/kaiteki", "/srv")
    assert a.parent == Path("/srv") and a.name.startswith("kaiteki-") and a.suffix == ".jsonl"
    assert a == b  # the password is not part of the name
    assert a != c


def test_recheck_refuses_a_read_only_store(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb"):
        pass
    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        with pytest.raises(StoreError, match="read-only"):
            recheck_registry(store, None)


def test_cli_recheck_prints_a_table_and_json(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from api.cli import app
    from api.settings import get_settings

    (tmp_path / "r.csv").write_text(READINGS)
    (tmp_path / "reg.csv").write_text(REGISTRY)
    with Store(store_url) as store:
        ingest_file(store, "thermal", tmp_path / "r.csv")
        ingest_file(store, "sensors", tmp_path / "reg.csv")
    monkeypatch.setenv("KAITEKI_STORE", store_url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        res = runner.invoke(app, ["ingest", "recheck", "--no-area", "--json"])
        assert res.exit_code == 0, res.output
        body = json.loads(res.stdout)
        assert body["rows_changed"] == 4 and body["audit_path"].endswith(".audit.jsonl")
        assert Path(body["audit_path"]).is_file()
        res = runner.invoke(app, ["ingest", "recheck", "--no-area", "--csv"])
        assert res.exit_code == 0, res.output
        assert res.stdout.splitlines() == ["sensor_id,rows,flags_before,flags_after"]
    finally:
        get_settings.cache_clear()
