"""Decision thresholds from the costs of mistakes: hand-computed cases, and the policy a bundle carries."""

import json

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.deployment.decision import (
    choose_policy,
    expected_costs,
    plot_expected_cost,
)
from {{ cookiecutter.package_name }}.export import export

# Four validation examples: P(positive) and whether each was positive.
PROBABILITIES = np.array([0.1, 0.4, 0.6, 0.9])
IS_POSITIVE = np.array([False, True, False, True])


def policy_for(cost_fp: float, cost_fn: float):
    costs = {"cost_false_positive": cost_fp, "cost_false_negative": cost_fn}
    return choose_policy(PROBABILITIES, IS_POSITIVE, "yes", "no", costs)


def test_equal_costs_pick_the_cheapest_threshold_nearest_one_half():
    # Acting above 0.1 costs one false positive (0.6): 1/4. So does acting above 0.6 (one false
    # negative, 0.4). At 0.5 exactly there are both: 2/4. Of the cheap stretches, 0.4 is nearest 0.5.
    policy, curve = policy_for(1, 1)
    assert policy.threshold == pytest.approx(0.4)
    assert policy.expected_cost == pytest.approx(0.25)
    assert policy.expected_cost_at_half == pytest.approx(0.5)
    assert curve.min() == pytest.approx(0.25) and len(curve) == 201
    assert (policy.action(0.45), policy.action(0.3)) == ("treat as yes", "treat as no")


def test_expensive_misses_lower_the_threshold_towards_the_theory():
    # A false negative costs 5: only acting on all of 0.4, 0.6 and 0.9 (cost 1/4) is cheap; the cheapest
    # stretch (0.1, 0.4] holds 1/6, the threshold for calibrated probabilities, so it is chosen.
    policy, _ = policy_for(1, 5)
    assert policy.threshold == pytest.approx(0.165)
    assert policy.expected_cost == pytest.approx(0.25)
    assert policy.expected_cost_at_half == pytest.approx((1 + 5) / 4)


def test_the_cost_curve_counts_mistakes_at_each_threshold():
    curve = expected_costs(PROBABILITIES, IS_POSITIVE, 2.0, 3.0)
    grid = np.linspace(0, 1, 201)
    # threshold 0: everything acted on, two false positives; threshold 1: two missed positives.
    assert curve[0] == pytest.approx(2 * 2.0 / 4) and curve[-1] == pytest.approx(2 * 3.0 / 4)
    assert curve[np.searchsorted(grid, 0.7)] == pytest.approx(3.0 / 4)  # only 0.4 missed


@pytest.mark.parametrize("costs", [(-1, 1), (0, 0)])
def test_costs_that_mean_nothing_are_refused(costs):
    with pytest.raises(ValueError, match="must be non-negative and not both zero"):
        policy_for(*costs)


def test_the_cost_plot_is_written(tmp_path):
    policy, curve = policy_for(1, 5)
    path = plot_expected_cost(curve, policy, tmp_path / "cost.png")
    assert path.read_bytes().startswith(b"\x89PNG")


def test_a_binary_bundle_carries_its_policy(tabular_bundle):
    policy = json.loads((tabular_bundle / "decision.json").read_text())
    assert policy["positive_class"] == "malignant"
    assert (policy["cost_false_positive"], policy["cost_false_negative"]) == (1.0, 5.0)
    assert policy["expected_cost"] <= policy["expected_cost_at_half"]
    assert (policy["positive_action"], policy["negative_action"]) == ("treat as malignant", "treat as benign")


def test_an_unknown_positive_class_is_refused_with_the_classes(make_config, tabular_checkpoint, tmp_path):
    cfg = make_config(
        "export",
        "experiment=tabular_breast_cancer",
        f"ckpt_path={tabular_checkpoint}",
        f"output_dir={tmp_path / 'bundle'}",
        "decision.positive_class=cancer",
    )
    with pytest.raises(
        ValueError, match=r"positive_class='cancer' is not a class .*\['benign', 'malignant'\]"
    ):
        export(cfg)
    assert not (tmp_path / "bundle").exists()
