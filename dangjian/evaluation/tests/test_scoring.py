"""Leaf scores, renormalisation over what could be scored, bands and tiers, worked by hand
(docs/evaluation.md has the same example)."""

import pytest

from dangjian.evaluation import scoring
from dangjian.evaluation.scoring import INSUFFICIENT, MISSING, OK, LeafInput, leaf_score, score_unit, tier_of, wilson


def leaf(code, group, weight, floor, target, value, sample=100, numerator=None, denominator=None, min_sample=10):
    return LeafInput(code, group, weight, floor, target, min_sample, value, sample, numerator, denominator)


def test_a_leaf_scores_between_floor_and_target_and_is_clipped():
    assert leaf_score(0.9, 0.6, 0.95) == pytest.approx(100 * 0.3 / 0.35)
    assert leaf_score(0.5, 0.6, 0.95) == 0
    assert leaf_score(0.99, 0.6, 0.95) == 100
    # Lower is better: the target lies below the floor, the same formula turned round.
    assert leaf_score(0.10, 0.30, 0.05) == pytest.approx(80)
    assert leaf_score(0.02, 0.30, 0.05) == 100
    assert leaf_score(0.40, 0.30, 0.05) == 0
    with pytest.raises(ValueError):
        leaf_score(1, 2, 2)


def test_wilson_interval_of_45_of_50():
    low, high = wilson(45, 50)
    assert (round(low, 4), round(high, 4)) == (0.7864, 0.9565)
    assert wilson(0, 10)[0] == 0 and wilson(10, 10)[1] == 1


HAND = [
    leaf("a1", "A", 0.6, 0.60, 0.95, 0.9, sample=50, numerator=45, denominator=50),  # 85.714
    leaf("a2", "A", 0.4, 0.30, 0.05, 0.10),  # lower is better: 80
    leaf("b1", "B", 1.0, 0.10, 0.60, 0.35),  # 50
    leaf("c1", "C", 1.0, 0.0, 1.0, 0.9, sample=5),  # below its minimum sample of 10
    leaf("d1", "D", 1.0, 0.0, 1.0, None, sample=0),  # not measured
]
GROUPS = {"A": 0.40, "B": 0.20, "C": 0.15, "D": 0.15, "E": 0.10}


def test_hand_worked_composite_leaves_out_what_could_not_be_scored_and_renormalises():
    s = score_unit(HAND, GROUPS)
    status = {x.code: x.status for x in s.leaves}
    assert status == {"a1": OK, "a2": OK, "b1": OK, "c1": INSUFFICIENT, "d1": MISSING}
    assert s.groups["A"] == pytest.approx(0.6 * 100 * 0.3 / 0.35 + 0.4 * 80)  # 83.4286
    assert s.groups["B"] == pytest.approx(50)
    assert s.groups["C"] is None and s.groups["D"] is None and s.groups["E"] is None
    # A and B only, their weights renormalised: 0.4/0.6 and 0.2/0.6 — never a zero, never full marks.
    assert s.group_weights == pytest.approx({"A": 2 / 3, "B": 1 / 3})
    assert s.total == pytest.approx((0.4 * 83.428571 + 0.2 * 50) / 0.6, abs=1e-5)  # 72.2857
    a1 = next(x for x in s.leaves if x.code == "a1")
    assert a1.global_weight == pytest.approx(2 / 3 * 0.6)
    assert sum(x.global_weight for x in s.leaves) == pytest.approx(1)
    # The band: a1's Wilson interval through its score function, the others exact.
    low, high = wilson(45, 50)
    assert (a1.low, a1.high) == (pytest.approx(leaf_score(low, 0.6, 0.95)), pytest.approx(leaf_score(high, 0.6, 0.95)))
    half = scoring.Z95 * (a1.global_weight * (a1.high - a1.low) / 2 / scoring.Z95)
    assert (s.low, s.high) == (pytest.approx(s.total - half), pytest.approx(s.total + half))
    # 72.29 with a band of about ±4.6 reaches across the cut-off at 70: between B and C.
    assert s.low < 70 < s.high and s.tier == "B/C"
    # The weakest first: b1 (50), then a2 (80), then a1 (85.7).
    assert s.weak == ["b1", "a2", "a1"]
    assert a1.move == {"more": 3, "target": 0.95}  # 48 of 50 reach 95 %
    assert next(x for x in s.leaves if x.code == "a2").move == {"reach": 0.05}


def test_a_group_whose_weights_are_renormalised_within_it():
    s = score_unit([leaf("a1", "A", 3, 0, 1, 0.5), leaf("a2", "A", 1, 0, 1, None, sample=0)], {"A": 1})
    assert s.groups["A"] == pytest.approx(50) and s.leaves[0].local_weight == 1


def test_nothing_scored_gives_no_total_and_no_tier():
    s = score_unit([leaf("a1", "A", 1, 0, 1, None, sample=0)], {"A": 1})
    assert s.total is None and s.tier == "" and s.weak == []


def test_tiers_by_cut_offs_and_between_when_the_band_straddles_one():
    assert tier_of(90, 88, 92) == "A"
    assert tier_of(86, 83, 89) == "A/B"
    assert tier_of(60, 50, 75) == "B/D"
    assert tier_of(40, 30, 50) == "D"
    assert scoring.overlapping((60, 70), (69, 80)) and not scoring.overlapping((60, 68), (69, 80))


def test_a_lower_is_better_rate_says_how_many_fewer():
    s = score_unit([leaf("r", "A", 1, 0.30, 0.05, 0.10, numerator=10, denominator=100)], {"A": 1})
    assert s.leaves[0].move == {"fewer": 5, "target": 0.05}


def test_the_pages_round_their_figures():
    from dangjian.evaluation.templatetags.evaluation import leaf_value, percent, score

    assert score(83.78328) == "83.8" and score(66.55) in ("66.5", "66.6") and score(None) == "—"
    assert percent(0.95678) == "95.7%" and leaf_value(1.456, False) == "1.46"
