"""Survey answers located by census block only export at the block's centroid."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from api.settings import get_settings
from comfort.constants import CENSUS_FILE
from sensors import export as ex
from sensors.area import load_blocks
from sensors.ingest import ingest_records
from sensors.store import Store


@pytest.fixture(scope="module")
def blocks() -> gpd.GeoDataFrame:
    return load_blocks(get_settings().data_file(CENSUS_FILE))


def _answers(block: str) -> list[dict]:
    base = {"thermal_sensation": -1, "comfort_vote": 1, "simulated": True}
    return [
        {"response_id": "R1", "time": "2022-01-10T08:00:00+09:00", "lat": 43.0605,
         "lon": 141.3545, **base},
        {"response_id": "R2", "time": "2022-01-10T08:10:00+09:00", "block": block, **base},
        {"response_id": "R3", "time": "2022-01-10T08:20:00+09:00", "block": "どこか", **base},
    ]  # fmt: skip


@pytest.mark.parametrize("fmt", ["geoparquet", "gpkg"])
def test_block_answers_get_the_centroid(tmp_path: Path, blocks, fmt: str) -> None:
    name = str(blocks["name_ja"].iloc[0])
    centre = blocks.geometry.iloc[[0]].centroid.to_crs("EPSG:4326").iloc[0]
    st = Store(":memory:")
    ingest_records(st, "survey", _answers(name), "test:survey", pseudonym_key="k")
    out = tmp_path / f"survey.{'parquet' if fmt == 'geoparquet' else 'gpkg'}"
    ex.export_store(st, "survey", fmt, out, blocks=blocks)
    back = gpd.read_parquet(out) if fmt == "geoparquet" else gpd.read_file(out)
    back = back.sort_values("time").reset_index(drop=True)
    assert back["location_source"].tolist()[:2] == ["given", "block_centroid"]
    assert pd.isna(back["location_source"].iloc[2]) or back["location_source"].iloc[2] in ("", None)
    assert back.geometry.iloc[0].x == pytest.approx(141.3545)
    assert back.geometry.iloc[1].x == pytest.approx(centre.x, abs=1e-9)
    assert back.geometry.iloc[1].y == pytest.approx(centre.y, abs=1e-9)
    # no location at all: an empty geometry, never POINT (NaN NaN)
    third = back.geometry.iloc[2]
    assert third is None or third.is_empty
    assert "NaN" not in " ".join(str(g) for g in back.geometry)
