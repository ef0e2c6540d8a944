"""The real MLIT 1 km mesh stay population."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import shape

from sensors.errors import FileFormatError
from sensors.ingest import ingest_file
from sensors.mlit import mesh_polygon, read_mesh_stay
from sensors.store import Store


def test_mesh_polygon_matches_the_file(mlit_path):
    doc = json.loads(mlit_path.read_text(encoding="utf-8"))
    for feat in doc["features"]:
        geom = shape(feat["geometry"])
        assert mesh_polygon(feat["properties"]["mesh1kmid"]).equals_exact(
            geom.normalize(), 1e-9
        ) or (mesh_polygon(feat["properties"]["mesh1kmid"]).symmetric_difference(geom).area < 1e-12)


def test_bad_mesh_code():
    with pytest.raises(FileFormatError, match="not a JIS 3rd-order"):
        mesh_polygon("6441")


def test_read_and_ingest_mesh(store_url, mlit_path, tmp_path):
    frame, problems = read_mesh_stay(mlit_path)
    assert problems == [] and frame["mesh_id"].nunique() == 36 and len(frame) == 36 * 24 * 9
    store = Store(store_url)
    res = ingest_file(store, "mesh", mlit_path)
    assert (res.rows_read, res.accepted, res.quarantined) == (7776, 7776, 0)
    m = store.mesh_stay()
    assert m["mesh_id"].nunique() == 36 and m.crs.to_epsg() == 4326
    row = m[(m["mesh_id"] == "64414245") & (m["day_type"] == "holiday") & (m["time_band"] == "day")]
    assert row.loc[row["month"].astype(str) == "2019-01-01", "stay_population"].item() == 2172
    assert set(m["day_type"]) == {"holiday", "weekday", "all"}
    assert set(m["time_band"]) == {"day", "night", "all"}


def test_not_geojson(tmp_path):
    p = tmp_path / "x.geojson"
    p.write_text("[1, 2]")
    with pytest.raises(FileFormatError, match="expected a GeoJSON FeatureCollection"):
        read_mesh_stay(p)
