"""Tests of sensors.registry: the places registry in the store, its history and audit log."""

from __future__ import annotations

import json

import pytest

from comfort.errors import PlacesError
from comfort.places import valid_on
from sensors import registry
from sensors.places import load_places
from sensors.store import Store

HALL = {
    "place_id": "hall", "name_ja": "ホール", "name_en": "Hall", "kind": "indoor",
    "lon": 141.352, "lat": 43.062, "valid_from": "2022-01-01", "source": "test",
    "features": "heating,cooling",
}  # fmt: skip


def test_seed_is_idempotent_and_reads_like_the_embedded_layer():
    with Store(":memory:") as store:
        assert (
            registry.read_registry(store)["place_id"].tolist() == load_places()["place_id"].tolist()
        )
        n = registry.seed(store)
        assert n == len(load_places()) and registry.seed(store) == 0
        assert sorted(registry.read_registry(store)["place_id"]) == sorted(
            load_places()["place_id"]
        )
        assert registry.audit_log(store)["action"].tolist() == ["seed"]


def test_add_edit_retire_keep_history_and_audit():
    with Store(":memory:") as store:
        registry.add_place(store, dict(HALL), "tester")
        reg = registry.read_registry(store)
        assert valid_on(reg, "2022-12-31").sum() == valid_on(reg, "2021-12-31").sum() + 1
        registry.edit_place(store, "hall", {"open_min": 540, "close_min": 1320}, "tester")
        registry.edit_place(store, "hall", {"open_min": 540}, "tester")  # no change, no audit
        registry.retire_place(store, "hall", "2023-04-01", "tester")
        reg = registry.read_registry(store)
        assert "hall" in set(reg["place_id"])  # history kept
        assert not valid_on(reg[reg["place_id"] == "hall"], "2023-12-31").any()
        log = registry.audit_log(store, "hall")
        assert log["action"].tolist() == ["retire", "edit", "add"]
        before, after = (json.loads(log[c].iloc[1]) for c in ("before_json", "after_json"))
        assert (before["open_min"], after["open_min"]) == (0, 540)
        with pytest.raises(PlacesError, match="exists already"):
            registry.add_place(store, dict(HALL), "tester")
        with pytest.raises(PlacesError, match="no place 'nowhere'"):
            registry.edit_place(store, "nowhere", {"open_min": 1}, "tester")
        with pytest.raises(PlacesError, match="give its source"):
            registry.add_place(store, {**HALL, "place_id": "x", "source": ""}, "tester")
        with pytest.raises(PlacesError, match="unknown place fields"):
            registry.edit_place(store, "hall", {"colour": "red"}, "tester")


def test_export_import_roundtrip(tmp_path):
    with Store(":memory:") as store:
        registry.add_place(store, dict(HALL), "tester")
        reg = registry.read_registry(store)
        for name in ("places.csv", "places.geojson"):
            path = registry.export_places(reg, tmp_path / name)
            assert registry.import_places(store, path, "tester") == {"added": 0, "edited": 0}
        csv = (tmp_path / "places.csv").read_text(encoding="utf-8")
        head, *lines = csv.splitlines()
        one = next(line for line in lines if line.startswith("odori-w1,"))
        (tmp_path / "new.csv").write_text(
            head + "\n" + one.replace("odori-w1,", "odori-copy,", 1), encoding="utf-8"
        )
        assert registry.import_places(store, tmp_path / "new.csv", "tester") == {
            "added": 1, "edited": 0,
        }  # fmt: skip
        bad = tmp_path / "bad.csv"
        bad.write_text("place_id,name_ja,name_en,kind,lon,lat,source\nz,z,z,cave,141.3,43.0,t\n")
        with pytest.raises(PlacesError, match=r"bad.csv, row 1 \(z\).*kind 'cave'"):
            registry.import_places(store, bad, "tester")


def test_geometry_errors():
    with pytest.raises(PlacesError, match="needs a geometry"):
        registry.geometry_of(None)
    with pytest.raises(PlacesError, match="not in lon/lat degrees"):
        registry.geometry_of("POINT (500000 4700000)")
    with pytest.raises(PlacesError, match="is not WKT or GeoJSON"):
        registry.geometry_of("not a shape")
