"""Turn-by-turn instructions from edge geometry (comfort.routing.turns)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from comfort.routing import TURN_ACTIONS, Turn, turn_list
from comfort.routing.turns import bearing_deg, turn_action


def _turns(
    coords: Sequence[Sequence[Sequence[float]]], names: list[str], kinds: list[str] | None = None
) -> list[Turn]:
    kinds = kinds or ["street"] * len(coords)
    lengths = [
        sum(((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5 for a, b in itertools.pairwise(c))
        for c in coords
    ]
    return turn_list(coords, names, [n.upper() for n in names], kinds, lengths)


def test_a_block_walk_turns_left_then_right() -> None:
    # east along A, north along B, east along C (x east, y north, metres)
    coords = [[[0, 0], [100, 0]], [[100, 0], [100, 80]], [[100, 80], [200, 80]]]
    turns = _turns(coords, ["a", "b", "c"])
    assert [t.action for t in turns] == ["depart", "left", "right", "arrive"]
    assert [t.name_ja for t in turns] == ["a", "b", "c", "c"]
    assert [t.name_en for t in turns][:3] == ["A", "B", "C"]
    assert turns[1].angle_deg == pytest.approx(-90.0)
    assert [t.length_m for t in turns] == pytest.approx([100.0, 80.0, 100.0, 0.0])


def test_edges_of_one_street_merge_into_one_leg() -> None:
    coords = [[[0, 0], [50, 0]], [[50, 0], [120, 2]], [[120, 2], [120, -60]]]
    turns = _turns(coords, ["a", "a", "b"])
    assert [t.action for t in turns] == ["depart", "right", "arrive"]
    assert turns[0].length_m == pytest.approx(50 + (70**2 + 4) ** 0.5)


def test_walkway_legs_are_entered_and_left() -> None:
    coords = [
        [[0, 0], [0, -100]],
        [[0, -100], [6, -100]],
        [[6, -100], [6, -400]],
        [[6, -400], [0, -400]],
        [[0, -400], [0, -500]],
    ]
    kinds = ["street", "exit", "underground", "exit", "street"]
    names = ["駅前通", "チ・カ・ホ", "チ・カ・ホ", "チ・カ・ホ", "駅前通"]
    turns = _turns(coords, names, kinds)
    assert [t.action for t in turns] == ["depart", "enter_walkway", "leave_walkway", "arrive"]
    assert [t.indoor for t in turns] == [False, True, False, False]
    assert turns[1].length_m == pytest.approx(312.0)


def test_a_kink_within_the_tail_is_not_a_turn() -> None:
    # the second street starts with a 5 m jog sideways, then runs straight on
    coords = [[[0, 0], [100, 0]], [[100, 0], [104, 3], [204, 3]]]
    turns = _turns(coords, ["a", "b"])
    assert turns[1].action == "straight"


def test_bearing_and_action_classes() -> None:
    assert bearing_deg(0, 0, -1, -1) == pytest.approx(225.0)
    assert {turn_action(a) for a in range(-180, 181, 5)} <= set(TURN_ACTIONS)
    assert turn_action(-179) == turn_action(179) == "uturn"
    assert turn_action(44.9) == "slight_right" and turn_action(45) == "right"


def test_empty_path_and_mismatched_inputs() -> None:
    assert turn_list([], [], [], [], []) == []
    with pytest.raises(ValueError, match="one entry per edge; got 1, 2"):
        turn_list([[[0, 0], [1, 0]]], ["a", "b"], ["a"], ["street"], [1.0])
