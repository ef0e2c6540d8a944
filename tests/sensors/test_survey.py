"""Questionnaire responses."""

from __future__ import annotations

from pathlib import Path

from sensors import qc
from sensors.survey import read_survey

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


def test_survey_values_and_flags():
    from sensors.ingest import pseudonymise

    g = read_survey(BAD / "survey_out_of_scale.csv", "k")
    assert g["response_id"].tolist() == pseudonymise(["R1", "R2"], "k")
    report = g.attrs["ingest"]
    # the third row cannot be stored: it is reported, not dropped silently
    assert (report["rows_read"], report["accepted"], report["quarantined"]) == (3, 2, 1)
    assert len(report["quarantine"]) == 1 and report["quarantine"][0]["line"] == 4
    r1 = g.iloc[0]
    assert r1["block"] == "北一条西３丁目" and r1["free_text"] == "寒い, 風が強い"
    assert r1["thermal_sensation"] == -2 and r1["clothing_clo"] == 1.6
    assert qc.flag_names(g.iloc[1]["qc_flags"]) == [
        "range"
    ]  # thermal sensation 5 is off the ASHRAE scale


def test_response_ids_are_pseudonymised_at_ingest(store_url, tmp_path):
    from sensors.ingest import ingest_file, pseudonymise
    from sensors.store import Store

    with Store(store_url) as store:
        res = ingest_file(store, "survey", BAD / "survey_out_of_scale.csv", pseudonym_key="k")
        assert res.accepted == 2
        stored = store.survey()["response_id"].tolist()
    assert sorted(stored) == sorted(pseudonymise(["R1", "R2"], "k"))
    assert not {"R1", "R2"} & set(stored)


def test_survey_needs_a_pseudonym_key(store_url, tmp_path):
    import pytest

    from sensors.errors import IngestError
    from sensors.ingest import ingest_file
    from sensors.store import Store

    with (
        Store(store_url) as store,
        pytest.raises(IngestError, match="survey need a pseudonym key"),
    ):
        ingest_file(store, "survey", BAD / "survey_out_of_scale.csv")
