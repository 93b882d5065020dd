"""The tabular pipeline end to end: every experiment trains, runs compare with baselines, eval reproduces."""

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
from tests.conftest import train_tiny

from {{ cookiecutter.package_name }}.errors import CheckpointError
from {{ cookiecutter.package_name }}.eval import evaluate
from {{ cookiecutter.package_name }}.train import train

TABULAR_EXPERIMENTS = [
    "tabular_diabetes",
    "tabular_breast_cancer",
    "tabular_synthetic",
    "vanishing_gradients_sigmoid",
    "vanishing_gradients_relu",
]
SCHEDULERS = ["none", "step", "cosine", "reduce_on_plateau", "one_cycle"]


def read_json(run_dir: str, name: str) -> dict:
    return json.loads((Path(run_dir) / name).read_text())


@pytest.mark.parametrize("experiment", TABULAR_EXPERIMENTS)
def test_each_tabular_experiment_trains(make_config, experiment):
    metrics = train(make_config("train", f"experiment={experiment}", "debug=fdr"))
    assert {"train/loss", "test/loss"} <= metrics.keys()


def test_your_csv_trains_with_the_tabular_experiment(make_config, customer_csv):
    cfg = make_config(
        "train",
        "experiment=tabular",
        f"data.path={customer_csv}",
        "data.target='Segment (tier)'",
        "debug=fdr",
    )
    assert {"test/acc", "test/f1", "test/auroc"} <= train(cfg).keys()


def test_an_index_column_is_not_an_input(customer_csv, tmp_path):
    indexed = tmp_path / "indexed.csv"
    pd.read_csv(customer_csv).to_csv(indexed)  # pandas' default: the row index too, as `Unnamed: 0`
    data = ["experiment=tabular", f"data.path={indexed}", "data.target='Segment (tier)'", "data.drop=[Notes]"]
    last = train_tiny(data, tmp_path / "logs")
    summary = read_json(last.parent.parent, "data_summary.json")
    assert set(summary["dropped_columns"]) == {"Unnamed: 0", "Customer ID"}
    assert not {"Unnamed: 0", "Customer ID"} & set(summary["columns"])


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_every_scheduler_and_optimizer_trains(make_config, tiny_run, scheduler):
    optimizer = "sgd" if scheduler == "one_cycle" else "adam"
    cfg = make_config(
        "train", "experiment=tabular_synthetic", *tiny_run, f"scheduler={scheduler}", f"optimizer={optimizer}"
    )
    assert train(cfg)["test/rmse"] > 0


def test_a_regression_run_reports_the_network_next_to_its_baselines(make_config, tiny_run):
    cfg = make_config("train", "experiment=tabular_diabetes", *tiny_run)
    train(cfg)
    written = read_json(cfg.paths.output_dir, "metrics.json")
    assert {"test/r2", "test/rmse", "test/mae"} <= written["metrics"].keys()
    assert set(written["baselines"]) == {"linear_regression", "gradient_boosting"}
    # A linear model explains a good part of the diabetes progression; this is no placeholder number.
    assert 0.2 < written["baselines"]["linear_regression"]["test/r2"] < 0.8
    # What the network's training time is weighed against: each baseline's fit, timed.
    assert all(0 < scores["fit_seconds"] < 60 for scores in written["baselines"].values())
    assert 0 < read_json(cfg.paths.output_dir, "run_record.json")["training"]["seconds"] < 600
    summary = read_json(cfg.paths.output_dir, "data_summary.json")
    assert (summary["rows"], summary["task"], summary["model_inputs"]) == (442, "regression", 10)
    assert read_json(cfg.paths.output_dir, "preprocessing.json")["target"] == "target"


@pytest.mark.parametrize(
    ("target", "drop", "metric"),
    # Hydra reads parentheses as a function call: names with them are quoted, as on the command line.
    [
        ("'Segment (tier)'", "[Customer ID,Notes]", "test/acc"),
        ("Lifetime value", "[Customer ID,Notes,'Segment (tier)']", "test/r2"),
    ],
)
def test_eval_reproduces_a_csv_runs_test_metrics_from_its_checkpoint(
    make_config, tiny_run, customer_csv, target, drop, metric
):
    data = ["experiment=tabular", f"data.path={customer_csv}", f"data.target={target}", f"data.drop={drop}"]
    trained = make_config("train", *data, *tiny_run)
    train(trained)
    written = read_json(trained.paths.output_dir, "metrics.json")
    checkpoint = torch.load(written["checkpoint"], map_location="cpu", weights_only=True)
    assert checkpoint["hyper_parameters"]["preprocessing"] == read_json(
        trained.paths.output_dir, "preprocessing.json"
    )
    evaluated_cfg = make_config("eval", *data, "trainer=cpu", f"ckpt_path={written['checkpoint']}")
    evaluated = evaluate(evaluated_cfg)
    assert evaluated[metric] == pytest.approx(written["metrics"][metric], abs=1e-6)
    assert evaluated["test/loss"] == pytest.approx(written["metrics"]["test/loss"], abs=1e-6)
    saved = read_json(trained.paths.output_dir, "preprocessing.json")
    assert read_json(evaluated_cfg.paths.output_dir, "preprocessing.json") == saved


def test_eval_applies_the_checkpoints_preprocessing_not_a_refit(make_config, tiny_run, customer_csv):
    data = ["experiment=tabular", f"data.path={customer_csv}", "data.target=Lifetime value"]
    data.append("data.drop=[Customer ID,Notes,'Segment (tier)']")
    trained = make_config("train", *data, *tiny_run)
    train(trained)
    table = pd.read_csv(customer_csv)
    table["Spend ($)"] *= 10  # a refit on this file would learn a different scaling
    table.to_csv(customer_csv, index=False)
    checkpoint = read_json(trained.paths.output_dir, "metrics.json")["checkpoint"]
    evaluated = make_config("eval", *data, "trainer=cpu", f"ckpt_path={checkpoint}")
    evaluate(evaluated)
    saved = read_json(trained.paths.output_dir, "preprocessing.json")
    assert read_json(evaluated.paths.output_dir, "preprocessing.json") == saved


def test_a_class_weighted_checkpoint_evaluates(make_config, tiny_run):
    trained = make_config(
        "train", "experiment=tabular_breast_cancer", "model.class_weights=balanced", *tiny_run
    )
    train(trained)
    checkpoint = read_json(trained.paths.output_dir, "metrics.json")["checkpoint"]
    weights = torch.load(checkpoint, map_location="cpu", weights_only=True)["hyper_parameters"][
        "class_weights"
    ]
    assert weights[1] > weights[0]  # malignant tumours are the rarer class
    evaluated = make_config(
        "eval", "experiment=tabular_breast_cancer", "trainer=cpu", f"ckpt_path={checkpoint}"
    )
    assert "test/auroc" in evaluate(evaluated)


def test_monitoring_a_metric_the_model_never_logs_fails_before_training(make_config, tiny_run):
    cfg = make_config(
        "train", "data=diabetes", "model=mlp", *tiny_run
    )  # monitor.metric is val/acc by default
    with pytest.raises(
        ValueError, match=r"monitor.metric=val/acc is never logged .* \['val/loss', 'val/mae'"
    ):
        train(cfg)


def test_eval_refuses_data_the_checkpoint_was_not_trained_on(make_config, tiny_run, customer_csv):
    data = [
        "experiment=tabular",
        f"data.path={customer_csv}",
        "data.target='Segment (tier)'",
        "data.drop=[Customer ID,Notes]",
    ]
    trained = make_config("train", *data, *tiny_run)
    train(trained)
    checkpoint = read_json(trained.paths.output_dir, "metrics.json")["checkpoint"]
    other = make_config("eval", *data[:-1], "data.drop=[Customer ID,Notes,City]", f"ckpt_path={checkpoint}")
    with pytest.raises(CheckpointError, match="leave out the data options that differ from training"):
        evaluate(other)
