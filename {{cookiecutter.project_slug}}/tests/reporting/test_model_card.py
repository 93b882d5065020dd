"""The model card, the per-example test predictions and the confidence intervals behind it."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from huggingface_hub import ModelCard

from {{ cookiecutter.package_name }}.errors import CheckpointError
from {{ cookiecutter.package_name }}.eval import evaluate
from {{ cookiecutter.package_name }}.evaluation.bootstrap import confidence_intervals
from {{ cookiecutter.package_name }}.evaluation.predictions import Predictions
from {{ cookiecutter.package_name }}.models.classification_metrics import classification_metrics
from {{ cookiecutter.package_name }}.models.tabular_objectives import task_metrics
from {{ cookiecutter.package_name }}.publish_card import main as publish_card
from {{ cookiecutter.package_name }}.train import train

TABULAR_RUN = ["experiment=tabular_breast_cancer", "trainer.max_epochs=2"]


@pytest.fixture
def tabular_run(make_config, tiny_run) -> Path:
    cfg = make_config(
        "train",
        *tiny_run,
        *TABULAR_RUN,
        "trainer.limit_test_batches=1.0",  # the whole test split
        "model_card.intended_use=Teaching: triage research only.",
    )
    train(cfg)
    return Path(cfg.paths.output_dir)


def test_the_card_parses_with_huggingface_hub_and_its_metrics_equal_metrics_json(tabular_run):
    card = ModelCard.load(tabular_run / "MODEL_CARD.md")
    written = json.loads((tabular_run / "metrics.json").read_text())["metrics"]
    reported = {result.metric_name: result.metric_value for result in card.data.eval_results}
    assert reported == pytest.approx({name: value for name, value in written.items() if name != "test/loss"})
    assert {result.dataset_split for result in card.data.eval_results} == {"test"}
    assert card.data.eval_results[0].task_type == "tabular-classification"
    assert card.data.license and "pytorch" in card.data.tags


def test_the_card_reports_intervals_baselines_and_marks_what_the_author_must_write(tabular_run):
    text = (tabular_run / "MODEL_CARD.md").read_text()
    intervals = json.loads((tabular_run / "metrics.json").read_text())["confidence_intervals"]
    assert set(intervals) == {"test/acc", "test/f1", "test/auroc"}
    for name, interval in intervals.items():
        assert interval["low"] <= interval["value"] <= interval["high"], name
        assert f"| {name} | " in text
    assert "| logistic_regression |" in text and "| gradient_boosting |" in text
    header = next(line for line in text.splitlines() if line.startswith("| model |"))
    assert header.rstrip(" |").endswith("training seconds")
    network = next(line for line in text.splitlines() if line.startswith("| network (this model) |"))
    assert float(network.rsplit("|", 2)[1]) > 0  # the run's training seconds, not "?"
    assert "Teaching: triage research only." in text  # answered: shown, not marked
    assert "answer `intended_use`" not in text
    for unanswered in ("out_of_scope_uses", "limitations", "ethics.privacy", "ethics.accountability"):
        assert f"**TO DO:** answer `{unanswered}`" in text
    assert "**7 question(s) below are not answered yet**" in text
    assert "python -m {{ cookiecutter.package_name }}.train " in text
    assert "experiment=tabular_breast_cancer" in text
    assert "| benign | 357 |" in text and "| malignant | 212 |" in text  # the class balance


def test_test_predictions_hold_every_test_row_with_its_inputs(tabular_run):
    table = pd.read_csv(tabular_run / "test_predictions.csv")
    summary = json.loads((tabular_run / "data_summary.json").read_text())
    assert len(table) == summary["split_rows"]["test"]
    assert {"input: mean radius", "target", "predicted", "correct", "p(benign)", "p(malignant)"} <= set(table)
    assert "input: target" not in table
    assert (table["correct"] == (table["target"] == table["predicted"])).all()
    assert np.allclose(table["p(benign)"] + table["p(malignant)"], 1.0, atol=1e-5)


def test_eval_writes_its_own_card_and_predictions(make_config, tabular_run):
    checkpoint = next((tabular_run / "checkpoints").glob("epoch_*.ckpt"))
    cfg = make_config("eval", *TABULAR_RUN, f"ckpt_path={checkpoint}", "report.bootstrap_resamples=50")
    metrics = evaluate(cfg)
    output_dir = Path(cfg.paths.output_dir)
    card = ModelCard.load(output_dir / "MODEL_CARD.md")
    assert {r.metric_name: r.metric_value for r in card.data.eval_results} == pytest.approx(
        {name: value for name, value in metrics.items() if name != "test/loss"}
    )
    assert "python -m {{ cookiecutter.package_name }}.eval " in card.text
    assert len(pd.read_csv(output_dir / "test_predictions.csv")) > 0


def test_make_model_card_publishes_the_run_best_on_validation(make_config, tiny_run, tmp_path, capsys):
    runs = []
    for epochs in (1, 3):
        cfg = make_config("train", *tiny_run, *TABULAR_RUN, f"trainer.max_epochs={epochs}")
        train(cfg)
        runs.append(Path(cfg.paths.output_dir))
    scores = [json.loads((run / "metrics.json").read_text())["all_metrics"]["val/loss_best"] for run in runs]
    best = runs[int(np.argmin(scores))]  # the breast-cancer experiment monitors val/loss, mode min
    destination = tmp_path / "docs" / "MODEL_CARD.md"
    publish_card(["--logs", str(tmp_path / "logs"), "--output", str(destination)])
    assert destination.read_text() == (best / "MODEL_CARD.md").read_text()
    assert str(best) in capsys.readouterr().out


def test_make_model_card_without_runs_says_to_train_first(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        publish_card(["--logs", str(tmp_path), "--output", str(tmp_path / "card.md")])
    assert exit_info.value.code == CheckpointError.exit_code
    assert "train a model first" in capsys.readouterr().err


def test_intervals_hold_the_estimate_and_shrink_with_more_examples():
    rng = np.random.default_rng(0)
    widths = []
    for rows in (100, 2000):
        targets = rng.integers(0, 2, rows)
        correct = rng.random(rows) < 0.8
        predicted = np.where(correct, targets, 1 - targets)
        predictions = Predictions(targets, np.eye(2, dtype=np.float32)[predicted], ["a", "b"])
        interval = confidence_intervals(predictions, classification_metrics(2, False), resamples=300)[
            "test/acc"
        ]
        assert interval["low"] < interval["value"] < interval["high"]
        widths.append(interval["high"] - interval["low"])
    # Accuracy is a proportion: its 95% interval is about 2 x 1.96 x sqrt(p(1-p)/n) wide.
    assert widths[1] == pytest.approx(2 * 1.96 * np.sqrt(0.8 * 0.2 / 2000), rel=0.25)
    assert widths[0] > 3 * widths[1]


def test_a_constant_error_has_a_zero_width_interval():
    targets = np.linspace(0, 10, 50, dtype=np.float32)
    predictions = Predictions(targets, targets + 2.0, None)
    interval = confidence_intervals(predictions, task_metrics("regression", sync_on_compute=False), 100)
    assert interval["test/mae"] == pytest.approx({"value": 2.0, "low": 2.0, "high": 2.0})
    assert np.allclose(predictions.table()["residual"], 2.0)


def test_the_history_has_one_row_per_epoch_with_train_and_val_metrics(tabular_run):
    history = pd.read_csv(tabular_run / "history.csv")
    assert history["epoch"].tolist() == [0, 1]
    assert {"train/loss", "val/loss", "val/acc", "train/acc"} <= set(history.columns)
    assert not any(column.endswith(("_step", "_epoch")) for column in history.columns)
    assert history["val/loss"].notna().all()
