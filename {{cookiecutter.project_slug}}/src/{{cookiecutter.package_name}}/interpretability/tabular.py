"""Tabular explanations: SHAP values of the network, and permutation importance as a cross-check.

SHAP (`shap.GradientExplainer`, expected gradients: suited to a differentiable network) attributes each
prediction to the model inputs, measured against a background sample of training rows. Inputs that come
from one table column (a category's one-hot columns, a date's parts) are summed back into that column,
which SHAP's additivity allows, so everything is reported under the original column names. What is
explained: the prediction (regression), the positive class's probability (two classes; the second in
sorted order), or the predicted class's probability (more classes).

Permutation importance shuffles one original column at a time in the test rows and measures how much the
test score drops: model-agnostic, so it checks SHAP's ranking without sharing its assumptions.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import shap
import torch
from sklearn.inspection import permutation_importance
from sklearn.metrics import accuracy_score, r2_score

from ..run_directory import FEATURE_IMPORTANCE, SHAP_VALUES
from .plots import plt, save


class ExplainedOutput(torch.nn.Module):
    """The one number per row that SHAP explains, from the network's raw outputs."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        predictions = self.model.predictions(self.model(inputs))
        if self.model.is_regression:
            return predictions.unsqueeze(-1)
        return predictions[:, 1:] if predictions.shape[-1] == 2 else predictions


class TablePredictor:
    """Raw table rows -> predictions, with the training preprocessing: what permutation importance needs."""

    def __init__(self, model, preprocessor) -> None:
        self.model, self.preprocessor = model, preprocessor

    def fit(self, *args):  # scikit-learn's interface; the network is trained already
        return self

    @torch.no_grad()
    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        device = next(self.model.parameters(), torch.empty(0)).device
        inputs = torch.from_numpy(self.preprocessor.transform(frame)).to(device)
        predictions = self.model.predictions(self.model(inputs)).cpu().numpy()
        return predictions if self.model.is_regression else predictions.argmax(axis=1)


def group_by_column(values: np.ndarray, sources: list[str], columns: list[str] | None = None) -> pd.DataFrame:
    """(rows, model inputs) -> (rows, table columns): sums the inputs that share a column; the columns
    come in `columns`' order (default: first appearance in `sources`)."""
    frame = pd.DataFrame(values, columns=range(len(sources)))
    grouped = frame.T.groupby(np.array(sources), sort=False).sum().T
    return grouped[columns or list(dict.fromkeys(sources))]


def shap_values(model, preprocessor, background: torch.Tensor, rows: torch.Tensor) -> pd.DataFrame:
    explainer = shap.GradientExplainer(ExplainedOutput(model).eval(), background)
    ranked = not model.is_regression and len(preprocessor.classes) > 2
    if ranked:
        values, _ = explainer.shap_values(rows, ranked_outputs=1)
    else:
        values = explainer.shap_values(rows)
    values = np.asarray(values).reshape(len(rows), -1)  # one explained output per row
    return group_by_column(values, preprocessor.source_columns(), list(preprocessor.column_types))


def permutation_scores(model, preprocessor, frame: pd.DataFrame, repeats: int, seed: int) -> pd.DataFrame:
    columns = list(preprocessor.column_types)
    predictor = TablePredictor(model, preprocessor)
    target = frame[preprocessor.target]
    if model.is_regression:
        truth, metric = target.astype(float).to_numpy(), r2_score
    else:
        truth, metric = preprocessor.encode_target(target), accuracy_score
    result = permutation_importance(
        predictor,
        frame[columns],
        truth,
        scoring=lambda estimator, inputs, expected: metric(expected, estimator.predict(inputs)),
        n_repeats=repeats,
        random_state=seed,
    )
    return pd.DataFrame(
        {"permutation_mean": result.importances_mean, "permutation_std": result.importances_std},
        index=columns,
    )


def bar_chart(importance: pd.Series, title: str, path: Path) -> Path:
    ordered = importance.sort_values()
    figure, axis = plt.subplots(figsize=(7, 0.35 * len(ordered) + 1.2))
    axis.barh(ordered.index.astype(str), ordered.to_numpy())
    axis.set_title(title)
    save(figure, path)
    return path


def beeswarm(values: pd.DataFrame, rows: pd.DataFrame, path: Path) -> Path:
    """Each dot a test row; colour: the column's value (grey for categories and dates)."""
    display = rows.reindex(columns=values.columns).apply(pd.to_numeric, errors="coerce")
    explanation = shap.Explanation(
        values=values.to_numpy(), data=display.to_numpy(dtype=float), feature_names=list(values.columns)
    )
    shap.plots.beeswarm(explanation, max_display=20, show=False)
    save(plt.gcf(), path)
    return path


def explain_table(
    model, datamodule, output_dir: Path, samples: int, background: int, repeats: int, seed: int
):
    """Write SHAP values, importances and their plots into `output_dir`; returns {label: path}."""
    output_dir.mkdir(parents=True, exist_ok=True)
    preprocessor = datamodule.preprocessor
    generator = torch.Generator().manual_seed(seed)
    train_inputs = datamodule.train_set.tensors[0]
    reference = train_inputs[torch.randperm(len(train_inputs), generator=generator)[:background]]
    test_rows = datamodule.frames["test"].iloc[:samples]
    device = next(model.parameters()).device
    reference = reference.to(device)
    inputs = datamodule.test_set.tensors[0][: len(test_rows)].to(device)
    model.eval()
    values = shap_values(model, preprocessor, reference, inputs)
    values.to_csv(output_dir / SHAP_VALUES, index_label="test_row")
    importance = pd.DataFrame({"mean_abs_shap": values.abs().mean()}).join(
        permutation_scores(model, preprocessor, test_rows, repeats, seed)
    )
    importance = importance.sort_values("mean_abs_shap", ascending=False)
    importance.to_csv(output_dir / FEATURE_IMPORTANCE, index_label="column")
    return {
        "SHAP values": output_dir / SHAP_VALUES,
        "Feature importance": output_dir / FEATURE_IMPORTANCE,
        "SHAP importance plot": bar_chart(
            importance["mean_abs_shap"], "Mean |SHAP value| per column", output_dir / "shap_importance.png"
        ),
        "SHAP summary plot": beeswarm(values, test_rows, output_dir / "shap_beeswarm.png"),
        "Permutation importance plot": bar_chart(
            importance["permutation_mean"],
            "Drop in test score when the column is shuffled",
            output_dir / "permutation_importance.png",
        ),
    }
