"""Fairness per group: numbers checked by hand on tiny data, and the report of a real run."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.evaluation.fairness import fairness_report
from {{ cookiecutter.package_name }}.evaluation.predictions import Predictions
from {{ cookiecutter.package_name }}.train import train


def binary_predictions(targets: list[int], predicted: list[int]) -> Predictions:
    return Predictions(np.array(targets), np.eye(2)[predicted], ["no", "yes"])


def test_classification_fairness_matches_a_hand_computation():
    predictions = binary_predictions([1, 0, 1, 1, 0, 0], [1, 0, 0, 1, 1, 0])
    groups = pd.DataFrame({"group": ["a", "a", "a", "b", "b", "b"]})
    result = fairness_report(predictions, groups, min_group_size=3)["columns"]["group"]
    # a: 2 of 3 right, 1 of its 2 positives found, "yes" predicted for 1 of 3.
    assert result["by_group"]["a"] == pytest.approx(
        {"count": 3, "accuracy": 2 / 3, "recall": 1 / 2, "selection_rate": 1 / 3}
    )
    # b: 2 of 3 right, its 1 positive found, "yes" predicted for 2 of 3.
    assert result["by_group"]["b"] == pytest.approx(
        {"count": 3, "accuracy": 2 / 3, "recall": 1.0, "selection_rate": 2 / 3}
    )
    assert result["difference"] == pytest.approx({"accuracy": 0.0, "recall": 0.5, "selection_rate": 1 / 3})
    assert result["ratio"] == pytest.approx({"accuracy": 1.0, "recall": 0.5, "selection_rate": 0.5})
    assert result["overall"]["accuracy"] == pytest.approx(4 / 6)
    assert result["small_groups"] == []


def test_regression_fairness_and_small_groups_are_flagged():
    predictions = Predictions(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.5, 2.5, 3.0, 6.0]), None)
    groups = pd.DataFrame({"sex": [1, 1, 2, None]})
    result = fairness_report(predictions, groups, min_group_size=2)["columns"]["sex"]
    assert set(result["by_group"]) == {"1.0", "2.0", "missing"}
    assert result["by_group"]["1.0"]["mae"] == pytest.approx(0.5)
    assert result["by_group"]["missing"]["rmse"] == pytest.approx(2.0)
    assert result["difference"]["mae"] == pytest.approx(2.0)  # 2.0 (missing) - 0.0 (group 2)
    assert result["small_groups"] == ["2.0", "missing"]


def test_a_numeric_column_with_many_values_is_cut_into_quartiles():
    rows = 40
    predictions = binary_predictions([0, 1] * (rows // 2), [0] * rows)
    result = fairness_report(predictions, pd.DataFrame({"age": np.arange(rows)}), min_group_size=5)
    assert len(result["columns"]["age"]["by_group"]) == 4
    assert sum(group["count"] for group in result["columns"]["age"]["by_group"].values()) == rows


def test_a_run_with_a_sensitive_column_reports_fairness_in_json_and_in_the_card(make_config, tiny_run):
    cfg = make_config(
        "train",
        *tiny_run,
        "experiment=tabular_diabetes",
        "data.sensitive=[sex]",
        "trainer.limit_test_batches=1.0",
    )
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    report = json.loads((run_dir / "fairness.json").read_text())
    sex = report["columns"]["sex"]
    test_rows = json.loads((run_dir / "data_summary.json").read_text())["split_rows"]["test"]
    assert set(sex["by_group"]) == {"1.0", "2.0"}  # the bundled table codes sex as 1.0 and 2.0
    assert sum(group["count"] for group in sex["by_group"].values()) == test_rows
    assert {"mae", "rmse", "mean_prediction"} <= sex["difference"].keys()
    card = (run_dir / "MODEL_CARD.md").read_text()
    assert "| sex | count | mae | rmse | mean_prediction |" in card
    assert f"Largest gap between groups of `sex`: mae: difference {sex['difference']['mae']:.4g}" in card
    assert "No sensitive attributes were configured" not in card
