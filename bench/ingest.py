"""
Ingest benchmark: 1,000,000 thermal readings (CSV, 100 sensors) into the store with QC.

Reference, measured in the same run: a bare DuckDB ``read_csv`` + ``INSERT`` of the same file
into a fresh table (no QC, no quarantine, no bookkeeping). ``ratio_vs_duckdb`` is raw-load time
divided by kaiteki time (0.5 means kaiteki takes twice as long). Synthetic data, fixed seed.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench._harness import peak_rss_mb, record

N_ROWS = 1_000_000
N_SENSORS = 100
SEED = 20220105


def write_readings_csv(path: Path, n_rows: int = N_ROWS, n_sensors: int = N_SENSORS) -> None:
    """Synthetic 1-minute readings of ``n_sensors`` fixed sensors downtown (fixed seed)."""
    rng = np.random.default_rng(SEED)
    per = n_rows // n_sensors
    t0 = pd.Timestamp("2022-01-05 00:00", tz="Asia/Tokyo")
    minutes = np.arange(per)
    frames = []
    lat0 = rng.uniform(43.052, 43.068, n_sensors)
    lon0 = rng.uniform(141.340, 141.360, n_sensors)
    for s in range(n_sensors):
        diurnal = -3.0 + 3.0 * np.sin(2 * np.pi * (minutes / 1440 - 0.375))
        air = diurnal + rng.normal(0, 0.2, per).cumsum() * 0.05 + rng.normal(0, 0.1, per)
        frames.append(
            pd.DataFrame(
                {
                    "time": (t0 + pd.to_timedelta(minutes, unit="min")).strftime(
                        "%Y-%m-%dT%H:%M:%S+09:00"
                    ),
                    "sensor_id": f"S{s:03d}",
                    "lat": np.round(lat0[s], 6),
                    "lon": np.round(lon0[s], 6),
                    "air_temp_c": np.round(air, 2),
                    "rel_humidity_pct": np.round(np.clip(75 + rng.normal(0, 5, per), 0, 100), 1),
                    "wind_speed_m_s": np.round(np.abs(rng.normal(2.0, 1.0, per)), 2),
                    "globe_temp_c": np.round(air + rng.normal(0.5, 0.5, per), 2),
                    "solar_wm2": np.round(np.clip(rng.normal(100, 80, per), 0, None), 1),
                    "level": 0,
                }
            )
        )
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)


def write_registry_csv(path: Path, n_sensors: int = N_SENSORS) -> None:
    """The sensor registry of :func:`write_readings_csv` (same seed, same locations)."""
    rng = np.random.default_rng(SEED)
    lat0 = rng.uniform(43.052, 43.068, n_sensors)
    lon0 = rng.uniform(141.340, 141.360, n_sensors)
    pd.DataFrame(
        {
            "sensor_id": [f"S{s:03d}" for s in range(n_sensors)],
            "kind": "fixed",
            "lat": np.round(lat0, 6),
            "lon": np.round(lon0, 6),
            "level": 0,
            "height_m": 1.5,
            "globe_diameter_m": 0.15,
            "installed": "2021-04-01",
            "name": [f"bench sensor {s}" for s in range(n_sensors)],
            "simulated": True,
        }
    ).to_csv(path, index=False)


def main() -> dict:
    from sensors.ingest import ingest_file
    from sensors.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "readings.csv"
        write_readings_csv(csv_path)
        # reference: bare DuckDB read_csv + INSERT
        con = duckdb.connect(str(Path(tmp) / "raw.duckdb"))
        t0 = time.perf_counter()
        con.execute("CREATE TABLE r AS SELECT * FROM read_csv(?) LIMIT 0", [str(csv_path)])
        con.execute("INSERT INTO r SELECT * FROM read_csv(?)", [str(csv_path)])
        raw_s = time.perf_counter() - t0
        con.close()
        # kaiteki: ingest with QC into a fresh store
        store = Store(Path(tmp) / "kaiteki.duckdb")
        store.migrate()  # open and migrate outside the timed part
        registry = Path(tmp) / "sensors.csv"
        write_registry_csv(registry)
        ingest_file(store, "sensors", registry)
        t0 = time.perf_counter()
        result = ingest_file(store, "thermal", csv_path)
        kaiteki_s = time.perf_counter() - t0
        store.close()
    assert result.rows_read == N_ROWS and result.accepted + result.quarantined == N_ROWS
    figures = {
        "rows": result.rows_read,
        "rows_per_s": round(result.rows_read / kaiteki_s),
        "kaiteki_s": round(kaiteki_s, 3),
        "duckdb_raw_s": round(raw_s, 3),
        "ratio_vs_duckdb": round(raw_s / kaiteki_s, 3),
        "flagged": result.flagged,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    print(
        f"ingest: {figures['rows']:,} rows in {kaiteki_s:.2f} s ({figures['rows_per_s']:,} rows/s) "
        f"vs bare DuckDB {raw_s:.2f} s: ratio {figures['ratio_vs_duckdb']} (target >= 0.5); "
        f"peak RSS {figures['peak_rss_mb']} MB (target < 1500)"
    )
    return figures


if __name__ == "__main__":
    record("ingest", main())
