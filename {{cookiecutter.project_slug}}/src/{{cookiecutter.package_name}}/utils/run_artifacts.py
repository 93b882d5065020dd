"""What a finished run writes about itself, and the summary it prints."""

import csv
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

METRICS_FILE = "metrics.json"
CONFUSION_MATRIX_FILE = "confusion_matrix.csv"


def to_floats(metrics: Mapping[str, torch.Tensor | float]) -> dict[str, float]:
    return {name: float(value) for name, value in sorted(metrics.items())}


def json_safe(value: object) -> object:
    """JSON has no NaN or infinity: they become null, at any depth, so every JSON reader loads the file."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def read_json(path: Path, default: Any = ...) -> Any:
    """The JSON file at `path`; `default` when it is absent, if one is given (else FileNotFoundError)."""
    if not path.is_file() and default is not ...:
        return default
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(content: object, path: Path) -> Path:
    path.write_text(json.dumps(json_safe(content), indent=2, default=str, allow_nan=False) + "\n")
    return path


def write_metrics(metrics: Mapping[str, float], output_dir: Path, **extra: object) -> Path:
    """`metrics.json`: the final test metrics plus context (checkpoint used, intervals, ...)."""
    return write_json({"metrics": dict(metrics), **extra}, Path(output_dir) / METRICS_FILE)


def write_confusion_matrix(matrix: torch.Tensor, class_names: list[str], output_dir: Path) -> Path:
    """Rows are true classes, columns predicted classes."""
    path = Path(output_dir) / CONFUSION_MATRIX_FILE
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["true \\ predicted", *class_names])
        for name, row in zip(class_names, matrix.tolist(), strict=True):
            writer.writerow([name, *row])
    return path


def print_summary(title: str, metrics: Mapping[str, float], artifacts: Mapping[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        table.add_row(name, f"{value:.4f}")
    console = Console()
    console.print(table)
    for label, location in artifacts.items():
        # Text, not markup: a path may contain [brackets]; soft_wrap keeps it copy-pasteable.
        console.print(Text.assemble(f"{label}: ", (str(location), "bold")), soft_wrap=True)


def print_comparison(test_metrics: Mapping[str, float], baselines: Mapping[str, Mapping[str, float]]) -> None:
    """One row per model (the network first), one column per test metric."""
    from rich.console import Console
    from rich.table import Table

    rows = {"network": test_metrics, **baselines}
    names = [
        name for name in test_metrics if name != "test/loss" and all(name in row for row in rows.values())
    ]
    table = Table(title="Test metrics: the network against classical baselines")
    table.add_column("model")
    for name in names:
        table.add_column(name.removeprefix("test/"), justify="right")
    for model_name, row in rows.items():
        table.add_row(model_name, *(f"{row[name]:.4f}" for name in names))
    Console().print(table)


def report_test_results(
    model,
    test_metrics: Mapping[str, float],
    output_dir: Path,
    artifacts: Mapping[str, object],
    baselines: Mapping[str, Mapping[str, float]] | None = None,
    **context,
) -> None:
    """Write `metrics.json` (with any baselines' scores), for classifiers the confusion matrix of `model`'s
    test run, and `report.html` from everything the run wrote; then print a summary."""
    from ..reporting.dashboard import build_report

    files = {"Run directory": output_dir}
    files["Metrics"] = write_metrics(
        test_metrics, output_dir, **({"baselines": baselines} if baselines else {}), **context
    )
    if model.test_confusion_matrix is not None:
        files["Confusion matrix"] = write_confusion_matrix(
            model.test_confusion_matrix, model.hparams.class_names, output_dir
        )
    files["Report (open in a browser)"] = build_report(output_dir)
    print_summary("Test metrics", test_metrics, {**files, **artifacts})
    if baselines:
        print_comparison(test_metrics, baselines)
