"""Tests of comfort.places: the places schema and opening hours."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

from comfort import places as places_mod
from comfort.errors import PlacesError
from comfort.places import check_places, open_mask


def _table(**over):
    base = {
        "place_id": ["a", "b"],
        "name_ja": ["あ", "い"],
        "name_en": ["A", "B"],
        "type": ["park", "underground_plaza"],
        "indoor": [False, True],
        "level": [0, -1],
        "open_min": [0, 300],
        "close_min": [1440, 1470],
        "source": ["x", "y"],
    }
    base.update(over)
    return pd.DataFrame(base)


def test_valid_table_passes():
    check_places(_table())


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"place_id": ["a", "a"]}, "must be unique"),
        ({"place_id": ["a", ""]}, "place_id is empty"),
        ({"indoor": ["no", True]}, "indoor must be true or false"),
        ({"level": [0, 0.5]}, "level must be an integer"),
        ({"open_min": [600, 300], "close_min": [500, 1470]}, "open_min=600, close_min=500"),
        ({"close_min": [1440, 3000]}, "close_min=3000"),
    ],
)
def test_schema_errors(over, match):
    with pytest.raises(PlacesError, match=match):
        check_places(_table(**over))


def test_missing_column():
    with pytest.raises(PlacesError, match=r"lacks the columns \['source'\]"):
        check_places(_table().drop(columns="source"))


def test_open_mask_handles_after_midnight():
    t = pd.date_range("2022-01-01 00:00", periods=24, freq="h")
    m = open_mask([300, 0, 420], [1470, 1440, 1380], t)
    assert m.shape == (24, 3)
    assert m[:, 1].all()
    # 5:00-24:30: open 0:00 (the half hour past midnight), closed 1:00-4:00, open from 5:00
    assert m[0, 0] and not m[1:5, 0].any() and m[5:, 0].all()
    # 7:00-23:00
    assert not m[:7, 2].any() and m[7:23, 2].all() and not m[23, 2]


def test_doctests():
    assert doctest.testmod(places_mod).failed == 0
