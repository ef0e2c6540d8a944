"""Ingest kinds as registered adapters: the built-ins match the store, a new kind is one module."""

from __future__ import annotations

import pytest

from comfort.qcflags import QCFlag
from sensors import kinds
from sensors.errors import IngestError, StoreError
from sensors.ingest import ingest_file, ingest_records
from sensors.store import Store
from tests.sensors import kind_noise

CSV = (
    "time,meter,db,band\n"
    "2022-07-20T14:00:00+09:00,M1,62.5,1\n"
    "2022-07-20T14:01:00+09:00,M1,190,1\n"  # above 140 dB: flagged range, kept
    "2022-07-20T14:02:00+09:00,M1,loud,1\n"  # not a number: quarantined
    "2022-07-20T14:03:00+09:00,M1,63.0,70000\n"  # band does not fit SMALLINT: quarantined
)


@pytest.fixture
def noise():
    kinds.register(kind_noise.ADAPTER)
    yield kind_noise.ADAPTER
    kinds.unregister("noise")


def test_builtin_kinds_are_registered_in_cli_order():
    assert kinds.kinds()[:9] == (
        "thermal", "sensors", "flow", "dwell", "mesh", "steps", "survey", "weather", "chikaho",
    )  # fmt: skip
    assert kinds.record_kinds()["readings"] == "thermal"
    assert kinds.record_kinds()["counts"] == "flow"
    assert kinds.get("steps").personal == ("participant",)
    assert kinds.get("survey").personal == ("response_id",)


def test_builtin_output_tables_match_the_store_schema():
    import duckdb

    def columns(con, name):
        return con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position",
            [name],
        ).fetchall()

    with Store(":memory:") as store:
        for kind in kinds.kinds():
            table = kinds.get(kind).table
            fresh = duckdb.connect()
            fresh.execute(table.ddl())  # what the adapter would create on an empty store
            assert columns(fresh, table.name) == columns(store.con, table.name), kind
            store.con.execute(table.ddl())  # and on the migrated store it changes nothing
            assert len(columns(store.con, table.name)) == len(columns(fresh, table.name))


def test_a_new_kind_is_one_registration(store_url, noise, tmp_path):
    path = tmp_path / "noise.csv"
    path.write_text(CSV, encoding="utf-8")
    with Store(store_url) as store:
        assert "noise" in kinds.kinds()
        res = ingest_file(store, "noise", path)
        assert (res.rows_read, res.accepted, res.flagged, res.quarantined) == (4, 2, 1, 2)
        rows = store.table("noise_levels")
        assert rows["level_db"].tolist() == [62.5, 190.0]
        assert rows["qc_flags"].tolist() == [0, int(QCFlag.RANGE)]
        assert "qc" not in rows.columns
        q = store.quarantine().set_index("line")
        assert q.loc[4, "field"] == "level_db" and "expected a number" in q.loc[4, "reason"]
        assert q.loc[5, "field"] == "band" and "out of range for band" in q.loc[5, "reason"]
        # the same kind through the records entry point (the web API's path)
        rec = ingest_records(
            store, "noise", [{"time": "2022-07-20T15:00:00+09:00", "meter_id": "M2",
                              "level_db": 10}], "test",
        )  # fmt: skip
        assert [r.flags for r in rec.rows or []] == [["range"]]
        assert len(store.table("noise_levels")) == 3


def test_a_kind_name_is_taken_once(noise):
    with pytest.raises(IngestError, match="already registered"):
        kinds.register(kinds.Adapter(**{**vars(noise), "description": "another"}))


def test_output_columns_need_a_spec_column():
    bad = kinds.Adapter(
        **{**vars(kind_noise.ADAPTER), "kind": "noise2",
           "table": kinds.OutputTable("n2", (("decibels", "DOUBLE"),))},
    )  # fmt: skip
    with pytest.raises(IngestError, match=r"output column\(s\) \['decibels'\]"):
        kinds.register(bad)


def test_unknown_kind_and_unknown_table(tmp_path):
    with Store(":memory:") as store:
        with pytest.raises(IngestError, match="unknown ingest kind 'noise'"):
            ingest_file(store, "noise", tmp_path / "x.csv")
        with pytest.raises(StoreError, match="no table 'noise_levels'"):
            store.table("noise_levels")
