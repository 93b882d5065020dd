"""What a finished run prints: its metrics, the files it wrote, and the network against the baselines."""

from collections.abc import Mapping

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..models.baselines import FIT_SECONDS


def print_summary(title: str, metrics: Mapping[str, float], files: Mapping[str, object]) -> None:
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        table.add_row(name, f"{value:.4f}")
    console = Console()
    console.print(table)
    for label, location in files.items():
        # Text, not markup: a path may contain [brackets]; soft_wrap keeps it copy-pasteable.
        console.print(Text.assemble(f"{label}: ", (str(location), "bold")), soft_wrap=True)


def comparison(
    test_metrics: Mapping[str, float],
    baselines: Mapping[str, Mapping[str, float]],
    training_seconds: float | None,
    network: str = "network",
) -> tuple[list[str], dict[str, list[str]]]:
    """The network against the baselines as a table (printed here, written into the model card): its
    columns (each test metric every model has, then the seconds each took to train: the network's whole
    training phase, each baseline's fit) and each model's cells, the network first."""
    models = {network: {**test_metrics, FIT_SECONDS: training_seconds}, **baselines}
    names = [
        name for name in test_metrics if name != "test/loss" and all(name in row for row in models.values())
    ]

    def cells(row: Mapping[str, float | None]) -> list[str]:
        seconds = row.get(FIT_SECONDS)
        return [f"{row[name]:.4f}" for name in names] + ["?" if seconds is None else f"{seconds:.2f}"]

    columns = [name.removeprefix("test/") for name in names] + ["training seconds"]
    return columns, {model: cells(row) for model, row in models.items()}


def print_comparison(
    test_metrics: Mapping[str, float],
    baselines: Mapping[str, Mapping[str, float]],
    training_seconds: float | None = None,
) -> None:
    """One row per model (the network first), one column per test metric, and the training seconds."""
    columns, rows = comparison(test_metrics, baselines, training_seconds)
    table = Table(title="Test metrics: the network against classical baselines")
    table.add_column("model")
    for column in columns:
        table.add_column(column, justify="right")
    for model_name, cells in rows.items():
        table.add_row(model_name, *cells)
    Console().print(table)
