"""The real Fitbit hourly steps, both timestamp styles, pseudonymised."""

from __future__ import annotations

import pytest

from sensors.errors import IngestError
from sensors.ingest import ingest_file, pseudonymise
from sensors.steps import read_steps
from sensors.store import Store


def test_ingest_fitbit_real_file(store_url, fitbit_path, tmp_path):
    store = Store(store_url)
    res = ingest_file(store, "steps", fitbit_path, pseudonym_key="k1")
    assert (res.rows_read, res.accepted, res.quarantined) == (22099, 22099, 0)
    s = store.steps()
    assert s["participant"].nunique() == 33
    assert int(s["steps"].sum()) == 7075356
    # raw ids never reach the store
    raw = store.con.execute("SELECT count(*) FROM steps WHERE participant LIKE '%1503960366%'")
    assert raw.fetchone()[0] == 0
    p = pseudonymise(["1503960366"], "k1")[0]
    first = s[s["participant"] == p].iloc[0]
    assert first["steps"] == 373 and str(first["time"]) == "2016-04-12 00:00:00+09:00"


def test_both_timestamp_styles_agree(tmp_path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("Id,ActivityHour,StepTotal\n1,4/12/16 0:00,10\n1,4/12/16 13:00,20\n")
    b.write_text(
        "Id,ActivityHour,StepTotal\n1,4/12/2016 12:00:00 AM,10\n1,4/12/2016 1:00:00 PM,20\n"
    )
    sa, sb = read_steps(a, "k"), read_steps(b, "k")
    assert sa["time"].tolist() == sb["time"].tolist()
    assert sa["participant"].tolist() == sb["participant"].tolist()


def test_steps_need_a_key(store_url, fitbit_path, tmp_path):
    with pytest.raises(IngestError, match="pseudonym key"):
        ingest_file(Store(store_url), "steps", fitbit_path)


def test_pseudonyms_depend_on_the_key():
    assert pseudonymise(["1"], "a") != pseudonymise(["1"], "b")
    assert pseudonymise(["1"], "a")[0].startswith("p-")


def test_quarantined_steps_keep_no_raw_id_and_are_reported(store_url, tmp_path):
    from sensors.ingest import ingest_file
    from sensors.store import Store

    bad = tmp_path / "steps.csv"
    bad.write_text(
        "Id,ActivityHour,StepTotal\n1503960366,4/12/16 0:00,373\n1503960366,4/12/16 1:00,abc\n"
    )
    frame = read_steps(bad, "k")
    report = frame.attrs["ingest"]
    assert (report["rows_read"], report["accepted"], report["quarantined"]) == (2, 1, 1)
    assert report["quarantine"][0]["field"] == "steps" or report["quarantine"][0]["line"] == 3
    with Store(store_url) as store:
        ingest_file(store, "steps", bad, pseudonym_key="k")
        q = store.quarantine()
        assert len(q) == 1 and q["line"].iloc[0] == 3
        assert not q.astype(str).apply(lambda col: col.str.contains("1503960366")).any().any()
