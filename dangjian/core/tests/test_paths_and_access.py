"""Materialised-path segments (core.models) and the pure parts of the access layer (core.access)."""

import itertools
import random

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from dangjian.core.access import VIEW, NodeSet, Scope, minimal_paths, q_for, restrict, rule_for
from dangjian.core.models import PATH_STEP, Event, path_segment, segment_index
from tests.factories import as_actor

MAX_INDEX = 36**PATH_STEP - 1

# --- path segments --------------------------------------------------------------------------


def test_path_step_is_four():
    assert PATH_STEP == 4


@pytest.mark.parametrize(
    ("index", "segment"),
    [
        (0, "0000"),
        (1, "0001"),
        (9, "0009"),
        (10, "000A"),
        (35, "000Z"),
        (36, "0010"),
        (1295, "00ZZ"),
        (MAX_INDEX, "ZZZZ"),
    ],
)
def test_known_segments(index, segment):
    assert path_segment(index) == segment
    assert segment_index(segment) == index


@pytest.mark.parametrize("index", [1, 2, 35, 36, 37, 1000, 46655, 46656, 999_999, MAX_INDEX])
def test_round_trip_and_fixed_width(index):
    segment = path_segment(index)
    assert len(segment) == PATH_STEP
    assert segment == segment.upper()
    assert segment_index(segment) == index


def test_round_trip_over_a_range():
    for index in range(1, 3000):
        assert segment_index(path_segment(index)) == index


def test_segments_sort_like_integers():
    rng = random.Random(20261128)
    indices = [*rng.sample(range(MAX_INDEX + 1), 2000), 0, 1, 9, 10, 35, 36, 1295, 1296, MAX_INDEX]
    by_segment = sorted(indices, key=path_segment)
    assert by_segment == sorted(indices)


def test_consecutive_segments_are_strictly_increasing():
    segments = [path_segment(i) for i in range(1, 2000)]
    assert all(a < b for a, b in itertools.pairwise(segments))


def test_concatenated_paths_sort_depth_first():
    parent_1, parent_2 = path_segment(1), path_segment(2)
    paths = [parent_2, parent_1 + path_segment(36), parent_1, parent_1 + path_segment(9), parent_2 + path_segment(1)]
    assert sorted(paths) == [
        parent_1,
        parent_1 + path_segment(9),
        parent_1 + path_segment(36),
        parent_2,
        parent_2 + path_segment(1),
    ]


@pytest.mark.parametrize("index", [MAX_INDEX + 1, MAX_INDEX + 2, 36**PATH_STEP * 10, -1])
def test_overflow_raises_value_error(index):
    with pytest.raises(ValueError):
        path_segment(index)


# --- minimal_paths --------------------------------------------------------------------------


def test_minimal_paths_removes_nested_paths():
    paths = ["0001", "00010002", "000100020003", "0002", "00020005", "0003"]
    assert minimal_paths(paths) == ("0001", "0002", "0003")


def test_minimal_paths_keeps_siblings_and_cousins():
    assert minimal_paths(["00010001", "00010002", "00020001"]) == ("00010001", "00010002", "00020001")


def test_minimal_paths_order_and_duplicates_do_not_matter():
    paths = ["000100020003", "0002", "00010002", "0002", "000100020003"]
    assert minimal_paths(paths) == ("00010002", "0002")
    assert minimal_paths(reversed(paths)) == ("00010002", "0002")


def test_minimal_paths_accepts_any_iterable_and_empty():
    assert minimal_paths([]) == ()
    assert minimal_paths(p for p in ["0001", "00010001"]) == ("0001",)
    assert minimal_paths({"0005"}) == ("0005",)


# --- rules ----------------------------------------------------------------------------------


def test_model_without_rule_is_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match="ContentType has no access rule"):
        rule_for(ContentType)
    with pytest.raises(ImproperlyConfigured):
        q_for(ContentType, Scope(user_id=1, grants={VIEW: NodeSet(region_paths=("0001",))}), VIEW)


def test_model_without_rule_fails_closed_even_for_superusers():
    with pytest.raises(ImproperlyConfigured):
        q_for(ContentType, Scope(user_id=1, superuser=True), VIEW)


def test_restrict_of_model_without_rule_raises():
    with pytest.raises(ImproperlyConfigured):
        restrict(ContentType.objects.all(), as_actor(None), VIEW)


def test_event_rule_lets_superusers_see_all_and_others_nothing():
    assert q_for(Event, Scope(user_id=1, superuser=True), VIEW) is None
    granted = Scope(user_id=2, grants={VIEW: NodeSet(region_paths=("0001",), org_paths=("0001",), unit_ids=(1,))})
    assert q_for(Event, granted, VIEW) == Q(pk__in=[])
