"""Questionnaire and dwell standards: ASHRAE Global Thermal Comfort DB II, Cozie, PLDP."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.settings import get_settings
from comfort.qcflags import QCFlag
from sensors.errors import FileFormatError, IngestError
from sensors.ingest import ingest_file, pseudonymise
from sensors.store import Store

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats"
KEY = "k" * 32


def test_ashrae_db2_columns_map_to_the_survey(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        res = ingest_file(store, "survey-ashrae-db2", FORMATS / "ashrae_db2.csv", pseudonym_key=KEY)
        survey = store.survey().sort_values("line").reset_index(drop=True)
        quarantine = store.quarantine()
    assert (res.rows_read, res.accepted, res.flagged, res.quarantined) == (6, 4, 1, 2)
    assert survey["line"].tolist() == [2, 3, 4, 5]
    assert survey["thermal_sensation"].tolist() == [1, 2, -2, -5]  # 2.4 rounds to 2
    assert survey["preference"].tolist() == ["cooler", "cooler", "warmer", "warmer"]
    assert survey["clothing_clo"].tolist() == [0.5, 0.6, 1.8, 2.0]
    assert survey["activity"].tolist()[0] == "1.4 met"
    assert survey["age_group"].tolist() == ["30s", "50s", "20s", "40s"]
    assert set(survey["block"]) == {"Sapporo"}
    assert survey["time"].iloc[0] == pd.Timestamp("2022-08-01 10:00", tz="Asia/Tokyo")
    # no Date: the middle of the season of the Year
    assert survey["time"].iloc[2] == pd.Timestamp("2022-01-15 12:00", tz="Asia/Tokyo")
    assert survey["qc_flags"].iloc[3] == QCFlag.RANGE  # sensation -5 off the scale
    assert survey["response_id"].str.fullmatch(r"p-[0-9a-f]{16}").all()
    reasons = quarantine["reason"].tolist()
    assert any("no date, and no Year with a Season" in r for r in reasons)
    assert any("thermal sensation must be a number, got 'warm'" in r for r in reasons)
    assert quarantine["raw"].isna().all()  # personal rows: the raw text is not kept


def test_cozie_export_maps_to_the_survey_with_pseudonyms(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        res = ingest_file(store, "survey-cozie", FORMATS / "cozie.csv", pseudonym_key=KEY)
        survey = store.survey().sort_values("line").reset_index(drop=True)
        reasons = store.quarantine()["reason"].tolist()
    assert (res.accepted, res.quarantined) == (4, 1)
    assert survey["preference"].tolist() == ["cooler", "no change", "warmer", "warmer"]
    assert survey["activity"].tolist()[:2] == ["Walking", "Sitting"]
    assert survey["time"].iloc[0] == pd.Timestamp("2022-08-01 10:05", tz="Asia/Tokyo")
    assert (survey["lat"].iloc[0], survey["lon"].iloc[0]) == (43.0605, 141.354)
    # the participant's id never reaches the store; the response id is its keyed pseudonym
    assert survey["response_id"].iloc[0] == pseudonymise(["cozie:dev-alice:1"], KEY)[0]
    assert not survey["response_id"].str.contains("dev-").any()
    # Cozie asks no thermal sensation: flagged missing; the resent survey: duplicate
    assert (survey["qc_flags"] & int(QCFlag.MISSING)).all()
    assert survey["qc_flags"].iloc[3] & int(QCFlag.DUPLICATE)
    assert any("'Much cooler' is not one of Warmer, No change, Cooler" in r for r in reasons)


def test_pldp_stationary_activity_counts_keep_their_categories(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        res = ingest_file(store, "dwell-pldp", FORMATS / "pldp.csv")
        dwell = store.dwell().sort_values("line").reset_index(drop=True)
        reasons = store.quarantine()["reason"].tolist()
    assert (res.rows_read, res.accepted, res.flagged, res.quarantined) == (7, 5, 1, 2)
    assert dwell["series"].tolist()[:3] == [
        "pldp:standing:conversing", "pldp:sitting_formal:consuming", "pldp:sitting_informal:all",
    ]  # fmt: skip
    assert dwell["interval_min"].unique().tolist() == [15]
    west3 = dwell[dwell["zone_id"] == "odori-west-3"]
    assert west3["dwell_count"].sum() == 21  # the categories sum to the zone's total
    assert dwell["time"].iloc[0] == pd.Timestamp("2022-08-01 12:00", tz="Asia/Tokyo")
    assert dwell["qc_flags"].iloc[-1] == QCFlag.RANGE  # a negative count
    assert any("'crouching' is not a PLDP posture" in r for r in reasons)
    assert any("no time_stop and no interval_min" in r for r in reasons)


def test_a_file_without_the_layout_columns_is_rejected(tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(FileFormatError, match=r"missing column\(s\) \['thermal sensation'\]"):
            ingest_file(store, "survey-ashrae-db2", wrong, pseudonym_key=KEY)
        with pytest.raises(FileFormatError, match="Public Life Data Protocol"):
            ingest_file(store, "dwell-pldp", wrong)


def test_survey_formats_need_the_pseudonym_key(tmp_path):
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(IngestError, match="key"):
        ingest_file(store, "survey-cozie", FORMATS / "cozie.csv")


def test_cli_format_option(tmp_path, monkeypatch):
    from api.cli import app

    monkeypatch.setenv("KAITEKI_STORE", str(tmp_path / "cli.duckdb"))
    monkeypatch.setenv("KAITEKI_PSEUDONYM_KEY", KEY)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        for args in (["survey", "--format", "ashrae-db2", str(FORMATS / "ashrae_db2.csv")],
                     ["survey", "--format", "cozie", str(FORMATS / "cozie.csv")],
                     ["dwell", "--format", "pldp", str(FORMATS / "pldp.csv")]):  # fmt: skip
            res = runner.invoke(app, ["ingest", *args, "--no-area", "--json"])
            assert res.exit_code == 0, res.output
        bad = runner.invoke(
            app, ["ingest", "dwell", "--format", "cozie", str(FORMATS / "pldp.csv")]
        )
        text = " ".join(bad.output.replace("│", " ").split())
        assert bad.exit_code != 0 and "unknown format 'cozie' for dwell" in text
    finally:
        get_settings.cache_clear()
    with Store(tmp_path / "cli.duckdb", read_only=True) as store:
        assert len(store.survey()) == 8 and len(store.dwell()) == 5
