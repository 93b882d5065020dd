"""What a sweep leaves in its directory: the best trial, every trial as CSV and Markdown, and a
self-contained HTML page comparing the trials with Optuna's plots."""

import csv
import html
import json
import logging
from pathlib import Path

import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from ..run_directory import REPORT

log = logging.getLogger(__name__)

PLOTS = {
    "optimization_history": optuna.visualization.plot_optimization_history,
    "param_importances": optuna.visualization.plot_param_importances,
    "parallel_coordinate": optuna.visualization.plot_parallel_coordinate,
}


def trial_rows(study: optuna.Study, interrupted: set[int]) -> list[dict[str, object]]:
    names = sorted({name for trial in study.trials for name in trial.params})
    return [
        {
            "number": trial.number,
            "state": trial.state.name,
            "value": trial.value,
            **{name: trial.params.get(name) for name in names},
            "reason": "interrupted, run again"
            if trial.number in interrupted
            else trial.user_attrs.get("failure") or trial.user_attrs.get("pruned", ""),
            "output_dir": trial.user_attrs.get("output_dir", ""),
        }
        for trial in study.trials
    ]


def write_tables(rows: list[dict[str, object]], sweep_dir: Path) -> None:
    if not rows:
        return
    with (sweep_dir / "trials.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = ("" if row[name] is None else str(row[name]).replace("|", "\\|") for name in header)
        lines.append("| " + " | ".join(cells) + " |")
    (sweep_dir / "trials.md").write_text("\n".join(lines) + "\n")


def best_trial(study: optuna.Study) -> FrozenTrial | None:
    complete = study.get_trials(states=[TrialState.COMPLETE])
    return study.best_trial if complete else None


def write_summary(
    study: optuna.Study, sweep_dir: Path, n_trials: int, failed: list[FrozenTrial], interrupted: set[int]
) -> dict[str, object]:
    """`sweep_summary.json`, `trials.csv` and `trials.md`; cheap enough to refresh after every batch.

    `failed`: trials that failed on their own; `interrupted`: those a killed sweep left unfinished.
    """
    sweep_dir.mkdir(parents=True, exist_ok=True)
    best = best_trial(study)
    summary = {
        "study_name": study.study_name,
        "direction": study.direction.name.lower(),
        "requested_trials": n_trials,
        "states": {state.name: len(study.get_trials(states=[state])) for state in TrialState},
        "interrupted": sorted(interrupted),
        "pruned": [trial.number for trial in study.get_trials(states=[TrialState.PRUNED])],
        "best": None if best is None else {"number": best.number, "value": best.value, "params": best.params},
        "failed": [
            {
                "number": trial.number,
                "reason": trial.user_attrs.get("failure", ""),
                "output_dir": trial.user_attrs.get("output_dir", ""),
            }
            for trial in failed
        ],
    }
    (sweep_dir / "sweep_summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    write_tables(trial_rows(study, interrupted), sweep_dir)
    return summary


def write_sweep_report(study: optuna.Study, sweep_dir: Path, interrupted: set[int]) -> Path:
    """`sweep_report.html`: the trials side by side (best first, each linked to its own report.html) and
    Optuna's plots, in one page that opens offline. A plot that needs more finished trials than there are
    is left out with a note."""
    from ..reporting.dashboard import Page

    page = Page()
    page.parts.append(f"<h1>Sweep {html.escape(study.study_name)}</h1>")
    best = best_trial(study)
    page.text(
        "No trial has finished yet."
        if best is None
        else f"Best: trial {best.number}, {study.direction.name.lower()} objective {best.value:.4g}, "
        f"with {best.params}."
    )
    rows = pd.DataFrame(trial_rows(study, interrupted))
    if len(rows):
        ascending = study.direction == optuna.study.StudyDirection.MINIMIZE
        rows = rows.sort_values("value", ascending=ascending, na_position="last")
        page.heading("Trials")
        page.table(rows.drop(columns=["output_dir"]))
        page.links(
            [
                (f"trial {row.number}: report", str(Path(row.output_dir, REPORT)))
                for row in rows.itertuples()
                if row.output_dir and Path(row.output_dir, REPORT).is_file()
            ]
        )
    for name, plot in PLOTS.items():
        try:
            figure = plot(study)
        except (ValueError, RuntimeError) as error:
            log.info("Left the %s plot out: %s", name, error)
            continue
        page.heading(name.replace("_", " "))
        page.figure(figure)
    path = sweep_dir / "sweep_report.html"
    path.write_text(page.render(f"Sweep {study.study_name}"), encoding="utf-8")
    return path
