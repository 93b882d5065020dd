"""`report.html`: one self-contained page per run for the people who read results, not code.

Built from the files the run wrote (metrics.json, history.csv, test_predictions.csv, fairness.json,
explanations/), so it can be rebuilt for any run directory:

    python -m {{ cookiecutter.package_name }}.reporting.dashboard <run_dir>

Plotly's JavaScript is embedded once and images are embedded as data, so the page works offline and can
be e-mailed as a single file.
"""

import argparse
import base64
import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from sklearn.metrics import classification_report, confusion_matrix

from ..errors import CheckpointError
from ..run_directory import (
    EXPLANATIONS_DIR,
    FAIRNESS,
    FEATURE_IMPORTANCE,
    HISTORY,
    METRICS,
    REPORT,
    RUN_RECORD,
    TEST_PREDICTIONS,
    read_json,
)

ERRORS_SHOWN = 15
INPUTS_SHOWN = 5  # input columns shown next to each listed error (tables can have hundreds)
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2rem; } .muted { color: #666; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: 0.8rem 1.2rem; min-width: 180px; }
.card .value { font-size: 1.8rem; font-weight: 600; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #eee; padding: 0.3rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; }
"""


def read_csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


class Page:
    """Sections of HTML; the first figure carries plotly.js, the others reuse it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.plotly_included = False

    def heading(self, text: str) -> None:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")

    def text(self, text: str, css_class: str = "") -> None:
        self.parts.append(f'<p class="{css_class}">{html.escape(text)}</p>')

    def figure(self, figure: go.Figure) -> None:
        figure.update_layout(template="plotly_white", margin={"t": 50, "b": 40, "l": 50, "r": 20})
        self.parts.append(figure.to_html(full_html=False, include_plotlyjs=not self.plotly_included))
        self.plotly_included = True

    def table(self, frame: pd.DataFrame, index: bool = False) -> None:
        self.parts.append(
            frame.to_html(index=index, float_format=lambda value: f"{value:.4g}", border=0, na_rep="")
        )

    def links(self, targets: list[tuple[str, str]]) -> None:
        items = "".join(
            f'<li><a href="{html.escape(Path(href).as_uri() if Path(href).is_absolute() else href)}">'
            f"{html.escape(label)}</a></li>"
            for label, href in targets
        )
        if items:
            self.parts.append(f"<ul>{items}</ul>")

    def image(self, path: Path, caption: str) -> None:
        data = base64.b64encode(path.read_bytes()).decode()
        self.parts.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def render(self, title: str) -> str:
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(self.parts)
            + "\n</body></html>\n"
        )


def headline_metric(metrics: dict[str, float], monitor: str | None) -> str | None:
    """The test metric to show first: the monitored one's test counterpart, else accuracy or RMSE."""
    candidates = [f"test/{monitor.split('/', 1)[-1]}"] if monitor and not monitor.endswith("loss") else []
    candidates += ["test/acc", "test/rmse", "test/loss"]
    return next((name for name in candidates if metrics.get(name) is not None), None)


def key_numbers(page: Page, written: dict[str, Any], record: dict[str, Any] | None, test_rows: int) -> None:
    metrics, intervals = written["metrics"], written.get("confidence_intervals") or {}
    monitor = ((record or {}).get("config") or {}).get("monitor") or {}
    name = headline_metric(metrics, monitor.get("metric"))
    cards = []
    if name:
        interval = intervals.get(name)
        level = round(100 * written.get("confidence_level", 0.95))
        detail = f"{level}% CI {interval['low']:.3f} to {interval['high']:.3f}" if interval else "no interval"
        cards.append((name, f"{metrics[name]:.3f}", detail))
        baselines = written.get("baselines") or {}
        scores = {model: values[name] for model, values in baselines.items() if name in values}
        if scores:
            better_is_higher = not name.endswith(("loss", "rmse", "mae"))
            best = max(scores, key=lambda model: scores[model] if better_is_higher else -scores[model])
            gap = metrics[name] - scores[best]
            cards.append((f"best baseline: {best}", f"{scores[best]:.3f}", f"network {gap:+.3f}"))
    dataset = ((record or {}).get("data") or {}).get("dataset", "")
    cards.append(("test examples", str(test_rows), str(dataset)))
    page.parts.append(
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="muted">{html.escape(label)}</div>'
            f'<div class="value">{html.escape(value)}</div>'
            f'<div class="muted">{html.escape(detail)}</div></div>'
            for label, value, detail in cards
        )
        + "</div>"
    )
    other = {metric: value for metric, value in metrics.items() if value is not None}
    rows = [
        {"metric": metric, "value": value, **{k: intervals.get(metric, {}).get(k) for k in ("low", "high")}}
        for metric, value in other.items()
    ]
    page.table(pd.DataFrame(rows))


def learning_curves(history: pd.DataFrame) -> go.Figure:
    stems = sorted(
        {column.split("/", 1)[1] for column in history.columns if column.startswith(("train/", "val/"))},
        key=lambda stem: (stem != "loss", stem),
    )
    figure = make_subplots(rows=1, cols=len(stems), subplot_titles=stems)
    for position, stem in enumerate(stems, start=1):
        for split, colour in (("train", "#1f77b4"), ("val", "#ff7f0e")):
            column = f"{split}/{stem}"
            if column in history:
                figure.add_trace(
                    go.Scatter(
                        x=history["epoch"],
                        y=history[column],
                        name=split,
                        legendgroup=split,
                        showlegend=position == 1,
                        line={"color": colour},
                    ),
                    row=1,
                    col=position,
                )
    figure.update_xaxes(title_text="epoch")
    figure.update_layout(title="Learning curves", height=350)
    return figure


def compact(rows: pd.DataFrame) -> pd.DataFrame:
    """The first few input columns and every prediction column."""
    inputs = [column for column in rows.columns if column.startswith("input: ")]
    return rows.drop(columns=inputs[INPUTS_SHOWN:])


def classification_section(page: Page, predictions: pd.DataFrame) -> None:
    classes = [column[2:-1] for column in predictions.columns if column.startswith("p(")]
    truth, guess = predictions["target"].astype(str), predictions["predicted"].astype(str)
    matrix = confusion_matrix(truth, guess, labels=classes)
    figure = go.Figure(
        go.Heatmap(z=matrix, x=classes, y=classes, colorscale="Blues", text=matrix, texttemplate="%{text}")
    )
    figure.update_layout(
        title="Confusion matrix (test)", xaxis_title="predicted", yaxis_title="true", height=450
    )
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_xaxes(type="category")
    page.figure(figure)
    report = classification_report(truth, guess, labels=classes, output_dict=True, zero_division=0)
    per_class = pd.DataFrame({name: report[name] for name in classes}).T.rename_axis("class").reset_index()
    page.table(per_class)
    errors = predictions[~predictions["correct"].astype(bool)].sort_values("confidence", ascending=False)
    page.heading("Most confident mistakes")
    page.table(compact(errors.head(ERRORS_SHOWN)))


def regression_section(page: Page, predictions: pd.DataFrame) -> None:
    low = min(predictions["target"].min(), predictions["predicted"].min())
    high = max(predictions["target"].max(), predictions["predicted"].max())
    figure = make_subplots(rows=1, cols=2, subplot_titles=["predicted vs actual", "residuals"])
    figure.add_trace(
        go.Scatter(x=predictions["target"], y=predictions["predicted"], mode="markers", name="test rows"),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(x=[low, high], y=[low, high], mode="lines", name="perfect", line={"dash": "dash"}),
        row=1,
        col=1,
    )
    figure.add_trace(go.Histogram(x=predictions["residual"], name="residual"), row=1, col=2)
    figure.update_xaxes(title_text="actual", row=1, col=1)
    figure.update_yaxes(title_text="predicted", row=1, col=1)
    figure.update_xaxes(title_text="predicted - actual", row=1, col=2)
    figure.update_layout(title="Test predictions", height=420)
    page.figure(figure)
    page.heading("Largest errors")
    largest = predictions["residual"].abs().sort_values(ascending=False).index[:ERRORS_SHOWN]
    page.table(compact(predictions.loc[largest]))


def importance_section(page: Page, explanations: Path) -> None:
    importance = read_csv(explanations / FEATURE_IMPORTANCE)
    if importance is not None:
        page.heading("What drives the predictions")
        shown = importance.head(20).iloc[::-1]
        figure = make_subplots(rows=1, cols=2, subplot_titles=["mean |SHAP value|", "permutation importance"])
        figure.add_trace(go.Bar(x=shown["mean_abs_shap"], y=shown["column"], orientation="h"), row=1, col=1)
        figure.add_trace(
            go.Bar(
                x=shown["permutation_mean"],
                y=shown["column"],
                orientation="h",
                error_x={"array": shown["permutation_std"]},
            ),
            row=1,
            col=2,
        )
        figure.update_layout(showlegend=False, height=max(300, 28 * len(shown) + 120))
        page.figure(figure)
    for name, caption in (
        ("shap_beeswarm.png", "SHAP summary: each dot is a test row"),
        ("integrated_gradients.png", "Integrated Gradients: pixels that drove the predicted class"),
    ):
        if (explanations / name).is_file():
            if importance is None:
                page.heading("What drives the predictions")
            page.image(explanations / name, caption)


def fairness_section(page: Page, fairness: dict[str, Any]) -> None:
    page.heading("Fairness across groups")
    for column, result in fairness["columns"].items():
        by_group = pd.DataFrame(result["by_group"]).T.rename_axis(column).reset_index()
        page.table(by_group)
        gaps = ", ".join(f"{name} {value:.3g}" for name, value in result["difference"].items())
        page.text(f"Largest difference between groups of {column}: {gaps}.")
        if result["small_groups"]:
            page.text(
                f"Warning: groups {', '.join(result['small_groups'])} have fewer than "
                f"{fairness['min_group_size']} test rows, too few to judge."
            )


def build_report(run_dir: Path) -> Path:
    """Write `report.html` into `run_dir` from the files the run wrote there."""
    run_dir = Path(run_dir)
    written = read_json(run_dir / METRICS, default=None)
    if written is None:
        raise CheckpointError(f"{run_dir} has no {METRICS}: is it the directory of a finished run?")
    record = read_json(run_dir / RUN_RECORD, default=None)
    predictions = read_csv(run_dir / TEST_PREDICTIONS)
    history = read_csv(run_dir / HISTORY)
    title = f"{(record or {}).get('task', 'run')}: {run_dir.name}"
    page = Page()
    page.parts.append(f"<h1>{html.escape(title)}</h1>")
    page.text(f"Report written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from {run_dir}", "muted")
    page.heading("Key numbers")
    key_numbers(page, written, record, 0 if predictions is None else len(predictions))
    if history is not None and len(history):
        page.heading("Training")
        page.figure(learning_curves(history))
    if predictions is not None:
        page.heading("Test predictions")
        if "residual" in predictions:
            regression_section(page, predictions)
        else:
            classification_section(page, predictions)
    importance_section(page, run_dir / EXPLANATIONS_DIR)
    if fairness := read_json(run_dir / FAIRNESS, default=None):
        fairness_section(page, fairness)
    path = run_dir / REPORT
    path.write_text(page.render(title), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild a run's report.html from its files.")
    parser.add_argument("run_dir", type=Path)
    print(build_report(parser.parse_args(argv).run_dir))


if __name__ == "__main__":
    main()
