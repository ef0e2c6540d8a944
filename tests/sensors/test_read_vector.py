"""sensors.readers.read_vector: GeoJSON without GDAL, the same frame as geopandas.read_file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

from api.settings import get_settings
from sensors.area import CENSUS_FILE
from sensors.errors import FileFormatError
from sensors.places import PLACES_FILE
from sensors.readers import read_layer, read_vector

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "path",
    [
        PLACES_FILE,
        REPO / "sensors" / "data" / "landmarks.geojson",
        REPO / "sensors" / "data" / "destinations.geojson",
        get_settings().data_file(CENSUS_FILE),
    ],
    ids=lambda p: Path(p).name,
)
def test_same_frame_as_gdal(path: Path) -> None:
    ours, gdal = read_vector(path), gpd.read_file(path)
    assert list(ours.columns) == list(gdal.columns) and ours.crs == gdal.crs
    assert ours.geometry.geom_equals_exact(gdal.geometry, 1e-12).all()
    for col in gdal.columns.drop("geometry"):
        a, b = ours[col], gdal[col]
        if b.dtype.kind == "M":  # GDAL reads date-like text as dates; ours keeps the text
            assert a.isna().equals(b.isna())
        else:  # GDAL gives int32 where ours gives int64: the values are what matters
            assert a.tolist() == b.tolist(), col


def test_geojson_never_loads_gdal() -> None:
    code = (
        "import sys; from sensors.readers import read_layer; from sensors.places import "
        "PLACES_FILE; read_layer(PLACES_FILE, 'x'); print('pyogrio' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_objects_become_json_text_and_nulls_stay(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": None, "properties": {"tags": ["a", "b"], "n": 1}},
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [141.35, 43.06]},
                "properties": {"tags": {"k": "値"}, "n": None},
            },
        ],
    }
    p = tmp_path / "f.geojson"
    p.write_text(json.dumps(doc), encoding="utf-8")
    gdf = read_vector(p)
    assert gdf["tags"].tolist() == ['["a", "b"]', '{"k": "値"}']
    assert gdf.geometry.iloc[0] is None and gdf.geometry.iloc[1].x == 141.35
    assert gdf["n"].isna().tolist() == [False, True]
    assert gdf.crs == "EPSG:4326" and list(gdf.columns)[-1] == "geometry"


def test_a_bare_geometry_and_a_legacy_crs(tmp_path: Path) -> None:
    p = tmp_path / "area.geojson"
    square = [[[0, 0], [100, 0], [100, 100], [0, 100], [0, 0]]]
    p.write_text(
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": square,
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::6680"}},
            }
        )
    )
    gdf = read_vector(p)
    assert len(gdf) == 1 and gdf.crs.to_epsg() == 6680 and gdf.geometry.iloc[0].area == 1e4


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[1, 2]", "'list'"),
        ('{"type": "Topology"}', "'Topology'"),
        ('{"type": "FeatureCollection", "features": [3]}', "feature 0 is not a GeoJSON object"),
        (
            '{"type": "Feature", "properties": {}, '
            '"geometry": {"type": "Point", "coordinates": "x"}}',
            "feature 0: bad geometry",
        ),
        ('{"type": "Feature",', "line 1 column"),
    ],
)
def test_bad_geojson_says_what_is_wrong(tmp_path: Path, text: str, said: str) -> None:
    p = tmp_path / "bad.geojson"
    p.write_text(text)
    with pytest.raises(FileFormatError) as err:
        read_layer(p, "a GeoJSON of places")
    assert "bad.geojson" in str(err.value) and said in str(err.value)
