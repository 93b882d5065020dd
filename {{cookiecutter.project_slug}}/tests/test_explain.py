"""Explanations: SHAP and permutation importance under the original column names, Captum for images."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from {{ cookiecutter.package_name }}.data.tabular_preprocessing import TabularPreprocessor
from {{ cookiecutter.package_name }}.explain import explain
from {{ cookiecutter.package_name }}.interpretability.tabular import (
    group_by_column,
    permutation_scores,
)
from {{ cookiecutter.package_name }}.train import train

PACKAGE = "{{ cookiecutter.package_name }}"  # whose functions the tests patch


def assert_is_png(path: Path) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG" and min(image.size) > 100


def test_a_csv_runs_shap_values_are_reported_under_its_original_columns(make_config, tiny_run, customer_csv):
    cfg = make_config(
        "train",
        *tiny_run,
        "experiment=tabular",
        f"data.path={customer_csv}",
        "data.target='Lifetime value'",
        "data.drop=[Notes,'Customer ID']",
    )
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    preprocessing = json.loads((run_dir / "preprocessing.json").read_text())
    columns = list(preprocessing["column_types"])  # what the user's table calls them
    values = pd.read_csv(run_dir / "explanations" / "shap_values.csv", index_col="test_row")
    # One-hot `City` and the date's year/month/... parts are summed back into their columns.
    assert list(values.columns) == columns
    assert len(values) == 20  # explain.samples
    assert len(preprocessing["fitted"]["feature_names"]) > len(columns)
    importance = pd.read_csv(run_dir / "explanations" / "feature_importance.csv", index_col="column")
    assert set(importance.index) == set(columns)
    assert importance["mean_abs_shap"].is_monotonic_decreasing
    assert importance["mean_abs_shap"].to_dict() == pytest.approx(values.abs().mean().to_dict())
    assert importance[["permutation_mean", "permutation_std"]].notna().all().all()
    for name in ("shap_importance.png", "shap_beeswarm.png", "permutation_importance.png"):
        assert_is_png(run_dir / "explanations" / name)


def test_inputs_of_one_column_are_summed_into_it():
    values = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 1.0, 0.0]])
    grouped = group_by_column(values, ["age", "city", "city", "date"])
    assert list(grouped.columns) == ["age", "city", "date"]
    assert grouped.to_numpy().tolist() == [[1.0, 5.0, 4.0], [0.5, 0.0, 0.0]]


class FirstInputModel(torch.nn.Module):
    """A regression 'network' that reads its first input only: shuffling any other column cannot hurt."""

    is_regression = True

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs[:, :1]

    def predictions(self, outputs: torch.Tensor) -> torch.Tensor:
        return outputs.squeeze(-1)


def test_permutation_importance_finds_the_only_column_the_model_uses():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"used": rng.normal(size=200), "ignored": rng.normal(size=200)})
    # The target is exactly what the model predicts: the first column, standardised as the scaler does.
    frame["target"] = (frame["used"] - frame["used"].mean()) / frame["used"].std(ddof=0)
    types = {"used": "numeric", "ignored": "numeric"}
    preprocessor = TabularPreprocessor.fit(frame, types, "target", "regression")
    scores = permutation_scores(FirstInputModel(), preprocessor, frame, repeats=3, seed=0)
    assert scores.loc["used", "permutation_mean"] > 1.0  # r2 falls from 1 to about -1
    assert scores.loc["ignored", "permutation_mean"] == 0.0


def test_an_image_run_saves_integrated_gradients_and_saliency_grids(make_config, tiny_run):
    cfg = make_config("train", *tiny_run)
    train(cfg)
    explanations = Path(cfg.paths.output_dir) / "explanations"
    for name in ("integrated_gradients.png", "saliency.png"):
        assert_is_png(explanations / name)


def test_explain_runs_on_a_saved_checkpoint_into_its_own_run(make_config, tiny_run):
    trained = make_config(
        "train", *tiny_run, "experiment=tabular_breast_cancer", "explain.after_training=false"
    )
    train(trained)
    assert not (Path(trained.paths.output_dir) / "explanations").exists()
    checkpoint = Path(trained.paths.output_dir) / "checkpoints" / "last.ckpt"
    cfg = make_config("explain", *tiny_run, "experiment=tabular_breast_cancer", f"ckpt_path={checkpoint}")
    files = explain(cfg)
    assert files["SHAP values"].parent == Path(cfg.paths.output_dir) / "explanations"
    assert len(pd.read_csv(files["SHAP values"]).columns) == 1 + 30  # test_row + the 30 measurements
    record = json.loads((Path(cfg.paths.output_dir) / "run_record.json").read_text())
    assert record["status"] == "completed"


def test_explain_without_a_checkpoint_says_how_to_pass_one(make_config):
    with pytest.raises(ValueError, match="explain needs a checkpoint: pass ckpt_path="):
        explain(make_config("explain"))


def test_a_multiclass_table_explains_the_predicted_class(make_config, tiny_run, customer_csv):
    cfg = make_config(
        "train",
        *tiny_run,
        "experiment=tabular",
        f"data.path={customer_csv}",
        "data.target='Segment (tier)'",
        "data.drop=[Notes,'Customer ID']",
    )
    train(cfg)
    values = pd.read_csv(
        Path(cfg.paths.output_dir) / "explanations" / "shap_values.csv", index_col="test_row"
    )
    assert values.shape == (20, 6)  # 20 rows; age, city, member, signup date, spend, lifetime value
    assert values.abs().to_numpy().sum() > 0


def test_the_image_grid_has_one_panel_per_chosen_image(make_config, tiny_run):
    cfg = make_config("train", *tiny_run, "explain.images=8")
    train(cfg)
    with Image.open(Path(cfg.paths.output_dir) / "explanations" / "integrated_gradients.png") as grid:
        width, height = grid.size
    assert 1.2 < width / height < 2.2  # 8 panels: two rows of four (one row would be about 4:1)


def test_failing_explanations_keep_the_runs_results(make_config, tiny_run, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("explainer exploded")

    monkeypatch.setattr(f"{PACKAGE}.interpretability.explain_run.explain_model", broken)
    cfg = make_config("train", *tiny_run)
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    assert (run_dir / "metrics.json").is_file() and (run_dir / "report.html").is_file()
    assert json.loads((run_dir / "run_record.json").read_text())["status"] == "completed"
