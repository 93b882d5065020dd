"""Does the model work equally well for every group of people? fairlearn's `MetricFrame` per sensitive
column (`data.sensitive`) on the test split: metrics per group, and the largest gap and ratio between
groups.

Classification: accuracy, recall (of the positive class for two classes, the second in sorted order;
macro-averaged otherwise) and selection rate (how often the positive class is predicted; two classes
only). Regression: MAE, RMSE and the mean prediction. A numeric column with many values is cut into
quartiles. A group with fewer than `min_group_size` test rows is flagged: its numbers are too noisy to judge.
"""

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count, selection_rate
from sklearn.metrics import accuracy_score, mean_absolute_error, recall_score, root_mean_squared_error

from ..run_directory import FAIRNESS, write_json
from .predictions import Predictions

MAX_NUMERIC_GROUPS = 10  # a numeric column with more distinct values is cut into quartiles


def metric_functions(predictions: Predictions) -> dict[str, Any]:
    if not predictions.is_classification:
        return {
            "count": count,
            "mae": mean_absolute_error,
            "rmse": root_mean_squared_error,
            "mean_prediction": lambda y_true, y_pred: float(np.mean(y_pred)),
        }
    if len(predictions.class_names) == 2:
        return {
            "count": count,
            "accuracy": accuracy_score,
            "recall": functools.partial(recall_score, pos_label=1, zero_division=0),
            "selection_rate": functools.partial(selection_rate, pos_label=1),
        }
    return {
        "count": count,
        "accuracy": accuracy_score,
        "recall": functools.partial(recall_score, average="macro", zero_division=0),
    }


def as_groups(column: pd.Series) -> pd.Series:
    """Group labels: the values as text (gaps as `missing`), numeric columns with many values as quartiles."""
    if pd.api.types.is_numeric_dtype(column) and column.nunique() > MAX_NUMERIC_GROUPS:
        column = pd.qcut(column, q=4, duplicates="drop")
    return column.astype("string").fillna("missing")


def group_fairness(predictions: Predictions, column: pd.Series, min_group_size: int) -> dict[str, Any]:
    frame = MetricFrame(
        metrics=metric_functions(predictions),
        y_true=predictions.targets,
        y_pred=predictions.predicted,
        sensitive_features=as_groups(column).rename(column.name),
    )
    by_group = frame.by_group
    small = [str(group) for group, size in by_group["count"].items() if size < min_group_size]
    compared = [name for name in by_group.columns if name != "count"]
    return {
        "overall": {name: float(frame.overall[name]) for name in by_group.columns},
        "by_group": {
            str(group): {name: float(value) for name, value in row.items()}
            for group, row in by_group.iterrows()
        },
        "difference": {name: float(frame.difference()[name]) for name in compared},
        "ratio": {name: float(frame.ratio()[name]) for name in compared},
        "small_groups": small,
    }


def fairness_report(
    predictions: Predictions, groups: pd.DataFrame, min_group_size: int = 30
) -> dict[str, Any]:
    """{column: per-group metrics, differences, ratios and small groups} for each column of `groups`
    (the sensitive columns of the predicted test rows, in the same order)."""
    groups = groups.iloc[: len(predictions.targets)].reset_index(drop=True)
    return {
        "min_group_size": min_group_size,
        "columns": {
            str(name): group_fairness(predictions, groups[name], min_group_size) for name in groups.columns
        },
    }


def write_fairness(report: dict[str, Any], output_dir: Path) -> Path:
    # A ratio is undefined (NaN) when a group's metric is zero: written as null.
    return write_json(report, Path(output_dir) / FAIRNESS)


def fairness_markdown(report: dict[str, Any]) -> str:
    """The model card's fairness section: a table per sensitive column, the gaps, and warnings."""
    parts = [
        "Test split, per group of each sensitive column (`data.sensitive`, kept out of the model's inputs); "
        "`fairness.json` in the run directory holds the same numbers."
    ]
    for column, result in report["columns"].items():
        names = list(result["overall"])
        rows = [f"| {column} | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        for group, values in result["by_group"].items():
            rows.append(f"| {group} | " + " | ".join(f"{values[name]:.4g}" for name in names) + " |")
        rows.append("| **all** | " + " | ".join(f"{result['overall'][name]:.4g}" for name in names) + " |")
        gaps = ", ".join(
            f"{name}: difference {result['difference'][name]:.4g}, ratio {result['ratio'][name]:.4g}"
            for name in result["difference"]
        )
        parts.append("\n".join(rows) + f"\n\nLargest gap between groups of `{column}`: {gaps}.")
        if result["small_groups"]:
            parts.append(
                f"> **Warning:** group(s) {', '.join(result['small_groups'])} of `{column}` have fewer than "
                f"{report['min_group_size']} test rows: too few to judge; collect more data before drawing "
                "conclusions."
            )
    return "\n\n".join(parts)
