"""Tests of sensors.places: the embedded places layer and its derivation from census blocks."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest

from comfort.errors import PlacesError
from sensors.area import planning_area
from sensors.errors import FileFormatError
from sensors.places import (
    PLACES_FILE,
    REGISTRY_COLUMNS,
    derive_default_places,
    load_places,
    write_places,
)


def test_embedded_layer_loads_with_schema():
    places = load_places()
    assert list(places.columns) == [*REGISTRY_COLUMNS, "geometry"]
    assert places.crs.to_epsg() == 4326
    assert places["place_id"].is_unique
    ids = set(places["place_id"])
    assert {f"odori-w{w}" for w in range(1, 10)} <= ids
    assert {"akapla", "station-south-plaza", "aurora-town", "soseigawa-park"} <= ids
    under = places[places["level"] == -1]
    assert under["indoor"].all() and (under["close_min"] > under["open_min"]).all()
    parks = places[places["type"].isin(["park", "plaza", "arcade"])]
    assert (parks["open_min"] == 0).all() and (parks["close_min"] == 1440).all()
    assert set(places["kind"]) == {"outdoor", "semi_outdoor", "indoor"}
    assert (places["indoor"] == (places["kind"] == "indoor")).all()
    # grown from 17: every place has a source; estimates are flagged; planned ones labelled
    assert len(places) >= 25 and places["source"].str.len().min() > 20
    planned = places[places["status"] == "planned"]
    assert len(planned) >= 2 and planned["approximate"].all()
    assert (places["status"] == "existing").sum() >= 25
    # Akapla (北3条広場) is an outdoor plaza, not part of the underground walkway
    assert not bool(places.set_index("place_id").loc["akapla", "indoor"])


def test_embedded_layer_is_the_derivation_of_the_real_census(census_path):
    derived = derive_default_places(census_path)
    embedded = load_places()
    assert list(derived["place_id"]) == list(embedded["place_id"])
    a = derived.to_crs(6680).geometry.area.to_numpy()
    b = embedded.to_crs(6680).geometry.area.to_numpy()
    assert abs(a - b).max() < 5.0  # m², only coordinate rounding differs


def test_places_lie_in_the_planning_area(census_path):
    area = planning_area(census_path).geometry.iloc[0]
    places = load_places().to_crs(6680)
    for row in places.itertuples():
        assert row.geometry.representative_point().within(area.buffer(50)), row.place_id
    odori = places[places["place_id"].str.match(r"odori-w\d")]
    assert odori.geometry.area.between(15_000, 40_000).all()  # blocks of ~130 m incl. roads


def test_write_and_reload_roundtrip(tmp_path, census_path):
    path = write_places(derive_default_places(census_path), tmp_path / "p.geojson")
    fc = json.loads(path.read_text(encoding="utf-8"))
    assert fc["features"][0]["properties"]["name_ja"] == "大通公園 西１丁目"
    assert len(load_places(path)) == len(load_places(PLACES_FILE))


def test_planner_file_without_hours_defaults_to_always_open(tmp_path):
    places = load_places().iloc[:2].drop(columns=["open_min", "close_min"])
    path = tmp_path / "mine.geojson"
    places.to_file(path, driver="GeoJSON")
    got = load_places(path)
    assert (got["open_min"] == 0).all() and (got["close_min"] == 1440).all()


def test_bad_files(tmp_path):
    with pytest.raises(FileFormatError, match="not found"):
        load_places(tmp_path / "missing.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json")
    with pytest.raises(FileFormatError, match="cannot read as GeoJSON"):
        load_places(bad)
    dup = load_places().iloc[:2].copy()
    dup["place_id"] = "same"
    path = tmp_path / "dup.geojson"
    gpd.GeoDataFrame(dup).to_file(path, driver="GeoJSON")
    with pytest.raises(PlacesError, match="must be unique"):
        load_places(path)


def test_derivation_needs_the_census_blocks(tmp_path, census_path):
    blocks = gpd.read_file(census_path)
    cut = blocks[~blocks["S_NAME"].str.startswith("北三条")]
    path = tmp_path / "cut.geojson"
    cut.to_file(path, driver="GeoJSON")
    with pytest.raises(FileFormatError, match="missing from"):
        derive_default_places(path)
