"""The evaluation's arithmetic (issue #13): the four published vectors the issue names, hand-worked
examples of what they do not cover, the refusals, and the command analysts check numbers with."""

import io
import json
import math

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.evaluation import mcdm

DRINKS = [  # Saaty's relative consumption of drinks in the US: coffee, wine, tea, beer, soda, milk, water
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
]
FIVE = [
    [1, 1 / 3, 1 / 2, 3, 2],
    [3, 1, 2, 5, 4],
    [2, 1 / 2, 1, 4, 3],
    [1 / 3, 1 / 5, 1 / 4, 1, 1 / 2],
    [1 / 2, 1 / 4, 1 / 3, 2, 1],
]


def close(found, expected, tolerance):
    return len(found) == len(expected) and all(abs(a - b) <= tolerance for a, b in zip(found, expected, strict=True))


# --- the published vectors -------------------------------------------------------------------------


def test_saatys_drinks_by_the_eigenvector():
    found = mcdm.ahp(DRINKS, method="eigen", ri="saaty2005")
    assert close(found.weights, [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327], 0.001)
    assert found.ri == 1.35
    assert abs(found.cr - 0.022) <= 0.001 and found.consistent


def test_the_five_by_five_by_geometric_means():
    found = mcdm.ahp(FIVE, method="geometric", ri="saaty1980")
    assert close(found.weights, [0.1602, 0.4174, 0.2634, 0.0615, 0.0975], 0.0001)
    assert abs(found.lambda_max - 5.0680) <= 0.0001
    assert abs(found.ci - 0.0170) <= 0.0001
    assert abs(found.cr - 0.0152) <= 0.0001


def test_entropy_with_the_raw_sum_normalisation():
    data = [[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]]
    assert close(mcdm.entropy(data, how="sum")["weights"], [0.4630, 0.3992, 0.1378, 0.0000], 0.0001)


def test_topsis_by_vector_normalisation():
    data = [[8, 7, 2, 1], [5, 3, 7, 5], [7, 5, 6, 4], [9, 9, 7, 3], [11, 10, 3, 7], [6, 9, 5, 4]]
    found = mcdm.topsis(data, [0.4, 0.3, 0.1, 0.2])
    assert close(found["closeness"], [0.387, 0.327, 0.391, 0.615, 0.868, 0.493], 0.001)
    assert found["ranks"] == [5, 6, 4, 2, 1, 3]


# --- AHP by hand -----------------------------------------------------------------------------------


def test_a_perfectly_consistent_matrix_gives_back_its_weights_with_cr_zero():
    weights = [0.5, 0.3, 0.2]
    matrix = [[a / b for b in weights] for a in weights]
    for method in ("eigen", "geometric"):
        found = mcdm.ahp(matrix, method=method)
        assert close(found.weights, weights, 1e-12)
        assert abs(found.lambda_max - 3) < 1e-12 and abs(found.cr) < 1e-12


def test_two_items_are_always_consistent():
    found = mcdm.ahp([[1, 4], [1 / 4, 1]])
    assert close(found.weights, [0.8, 0.2], 1e-12)
    assert (found.ci, found.cr, found.worst_pairs) == (0.0, 0.0, [])


def test_an_inconsistent_matrix_says_which_comparison_to_revisit():
    # A over B 3, B over C 3, so A over C should be about 9; it says C over A 5.
    matrix = [[1, 3, 1 / 5], [1 / 3, 1, 3], [5, 1 / 3, 1]]
    found = mcdm.ahp(matrix)
    assert found.cr >= mcdm.CR_LIMIT and not found.consistent
    assert found.worst_pairs[0].deviation >= found.worst_pairs[-1].deviation
    # Every comparison of a 3-cycle is equally off: each deviation is the same (ln of the cycle's
    # product, 3·3·5 = 45, over three).
    assert all(abs(p.deviation - math.log(45) / 3) < 1e-9 for p in found.worst_pairs)


def test_the_worst_pair_is_the_one_that_breaks_an_otherwise_consistent_matrix():
    weights = [0.4, 0.3, 0.2, 0.1]
    matrix = [[a / b for b in weights] for a in weights]
    matrix[0][3], matrix[3][0] = 1 / 4, 4  # it should be 4
    found = mcdm.ahp(matrix)
    assert (found.worst_pairs[0].row, found.worst_pairs[0].column) == (0, 3)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 3], [2, 1]], "reciprocals"),
        ([[1, 12], [1 / 12, 1]], "outside Saaty"),
        ([[2, 1], [1, 1]], "must be 1"),
        ([[1, 2, 3], [0.5, 1, 2]], "square"),
        ([[1, float("nan")], [1, 1]], "not a finite number"),
        ([], "empty"),
    ],
)
def test_a_matrix_that_is_not_a_comparison_is_refused_with_where(matrix, message):
    with pytest.raises(mcdm.MCDMError) as err:
        mcdm.ahp(matrix)
    assert message in str(err.value)


def test_group_judgements_are_combined_by_geometric_mean():
    combined = mcdm.combine_judgements([[[1, 3], [1 / 3, 1]], [[1, 5], [1 / 5, 1]]])
    assert abs(combined[0][1] - math.sqrt(15)) < 1e-12 and abs(combined[1][0] * combined[0][1] - 1) < 1e-12


def test_the_random_index_tables_differ_as_published():
    assert mcdm.ahp(DRINKS, ri="saaty1980").ri == 1.32
    assert mcdm.ahp(DRINKS, ri="donegan-dodd").ri == 1.2519
    assert mcdm.global_weights(0.4, [0.5, 0.25, 0.25]) == [0.2, 0.1, 0.1]


# --- objective weights and their combination by hand --------------------------------------------


def test_a_criterion_that_tells_no_unit_apart_gets_no_entropy_weight():
    found = mcdm.entropy([[1, 10], [2, 10], [3, 10]], [1, 1])
    assert found["entropy"][1] == 1.0
    assert close(found["weights"], [1.0, 0.0], 1e-12)


def test_a_cost_criterion_is_turned_round_before_minmax():
    assert mcdm.normalise([[1, 1], [3, 3]], [1, -1]) == [[0.0, 1.0], [1.0, 0.0]]


def test_critic_by_hand():
    # Min–max columns [0, .5, 1] and [0, 1, 0]: σ = √(1/6) and √(2/9), uncorrelated (r = 0), so
    # C = σ·((1 − 1) + (1 − 0)) = σ, and w = σ/Σσ.
    found = mcdm.critic([[0, 0], [1, 1], [2, 0]], [1, 1])
    sigma = [math.sqrt(1 / 6), math.sqrt(2 / 9)]
    assert close(found["sigma"], sigma, 1e-12)
    assert abs(found["correlation"][0][1]) < 1e-12
    assert close(found["weights"], [s / sum(sigma) for s in sigma], 1e-12)


def test_the_combined_weight_keeps_the_data_within_its_bounds_of_the_experts():
    expert, data = [0.5, 0.3, 0.2], [0.9, 0.05, 0.05]
    found = mcdm.combine(expert, data, alpha=0.6)
    bounded = found["bounded_objective"]
    assert abs(sum(bounded) - 1) < 1e-12 and abs(sum(found["weights"]) - 1) < 1e-12
    assert all(0.5 * e - 1e-9 <= b <= 2 * e + 1e-9 for b, e in zip(bounded, expert, strict=True))
    assert close(found["weights"], [0.6 * e + 0.4 * b for e, b in zip(expert, bounded, strict=True)], 1e-12)
    assert close(mcdm.combine(expert, data, alpha=1.0)["weights"], expert, 1e-12)


def test_topsis_with_a_cost_criterion_and_minmax():
    # Two units: the first better on the benefit, worse on the cost: equal weights tie them.
    found = mcdm.topsis([[10, 5], [0, 0]], [0.5, 0.5], [1, -1], how="minmax")
    assert close(found["closeness"], [0.5, 0.5], 1e-12)
    assert found["ranks"] == [1, 1]
    assert mcdm.ranks([0.9, 0.5, 0.5, 0.1]) == [1, 2, 2, 4]


# --- the command -------------------------------------------------------------------------------------


def run(monkeypatch, method, payload, *options):
    monkeypatch.setattr("sys.stdin", io.StringIO(payload if isinstance(payload, str) else json.dumps(payload)))
    out = io.StringIO()
    call_command("mcdm", method, *options, stdout=out)
    return json.loads(out.getvalue())


def test_the_command_takes_fractions_and_prints_ahps_numbers(monkeypatch):
    matrix = [[("1/" + str(round(1 / v))) if v < 1 else v for v in row] for row in FIVE]
    found = run(monkeypatch, "ahp", {"matrix": matrix}, "--method", "geometric")
    assert close(found["weights"], [0.1602, 0.4174, 0.2634, 0.0615, 0.0975], 0.0001)
    assert abs(found["cr"] - 0.0152) <= 0.0001 and found["consistent"] is True and found["ri_table"] == "saaty1980"


def test_the_command_runs_each_method(monkeypatch):
    drinks = run(monkeypatch, "ahp", {"matrix": DRINKS}, "--ri", "saaty2005")
    assert abs(drinks["cr"] - 0.022) <= 0.001
    data = [[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]]
    entropy = run(monkeypatch, "entropy", {"matrix": data}, "--normalise", "sum")
    assert close(entropy["weights"], [0.4630, 0.3992, 0.1378, 0.0000], 0.0001)
    assert len(run(monkeypatch, "critic", {"matrix": data, "types": [1, 1, -1, 1]})["weights"]) == 4
    topsis = run(monkeypatch, "topsis", {"matrix": [[8, 7], [5, 3]], "weights": [0.6, 0.4]})
    assert topsis["ranks"] == [1, 2]
    group = run(monkeypatch, "ahp", {"matrices": [[[1, 3], [1 / 3, 1]], [[1, 5], [0.2, 1]]]})
    assert abs(group["matrix"][0][1] - math.sqrt(15)) < 1e-9


@pytest.mark.parametrize(
    ("method", "payload", "message"),
    [
        ("ahp", "not json", "not JSON"),
        ("ahp", [1, 2], "a JSON object"),
        ("ahp", {"matrix": [[1, "x"], [1, 1]]}, "not a number or a fraction"),
        ("ahp", {"matrix": [[1, 3], [2, 1]]}, "reciprocals"),
        ("topsis", {"matrix": [[1, 2]]}, "weights"),
        ("entropy", {"matrix": [[1, 2], [3, 4]], "types": [1, 0]}, "types"),
        ("entropy", {"matrix": [[1, 2]]}, "at least two units"),
    ],
)
def test_the_command_refuses_bad_input_with_a_message_and_status_2(monkeypatch, method, payload, message):
    with pytest.raises(CommandError) as err:
        run(monkeypatch, method, payload)
    assert message in str(err.value) and err.value.returncode == 2
