"""Copy the best run's model card to `docs/MODEL_CARD.md`:

    python -m {{ cookiecutter.package_name }}.publish_card

"Best" is judged on validation, never on test: among the completed training runs of one task (by default
the task of the newest one) that monitored the same metric as its newest run, the run whose monitored
metric (`monitor.metric`, best value over its epochs) is best in `monitor.mode`'s direction.
`make model-card` runs this.
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from {{ cookiecutter.package_name }}.cli import user_errors_as_messages
from {{ cookiecutter.package_name }}.config import PROJECT_ROOT
from {{ cookiecutter.package_name }}.errors import CheckpointError
from {{ cookiecutter.package_name }}.run_directory import METRICS, MODEL_CARD, RUN_RECORD


@dataclass
class FinishedRun:
    directory: Path
    task: str
    started_at: str
    metric: str
    mode: str
    score: float | None

    @classmethod
    def read(cls, directory: Path) -> FinishedRun | None:
        """The run in `directory`, if it is a completed training run with a model card."""
        files = [directory / name for name in (RUN_RECORD, METRICS, MODEL_CARD)]
        if not all(path.is_file() for path in files):
            return None
        record = json.loads(files[0].read_text())
        if record.get("status") != "completed" or "checkpoint" in record:  # eval runs name a checkpoint
            return None
        monitor = record["config"].get("monitor") or {}
        metrics = json.loads(files[1].read_text()).get("all_metrics") or {}
        score = metrics.get(f"{monitor.get('metric')}_best", metrics.get(monitor.get("metric")))
        return cls(
            directory, record["task"], record["started_at"], monitor.get("metric"), monitor.get("mode"), score
        )


def best_run(runs: list[FinishedRun], task: str | None) -> FinishedRun:
    if not runs:
        raise CheckpointError(
            "No completed training run with a MODEL_CARD.md was found: train a model first."
        )
    task = task or max(runs, key=lambda run: run.started_at).task
    candidates = [run for run in runs if run.task == task and run.score is not None]
    if not candidates:
        tasks = sorted({run.task for run in runs})
        raise CheckpointError(
            f"No completed run of task {task!r} has a monitored score; tasks with runs: {tasks}."
        )
    # Scores are comparable only under one monitored metric: the newest candidate's.
    newest = max(candidates, key=lambda run: run.started_at)
    comparable = [run for run in candidates if (run.metric, run.mode) == (newest.metric, newest.mode)]
    sign = 1 if newest.mode == "max" else -1
    return max(comparable, key=lambda run: sign * run.score)


def publish(log_dir: Path, destination: Path, task: str | None = None) -> FinishedRun:
    runs = [run for path in sorted(log_dir.glob("*/runs/*")) if (run := FinishedRun.read(path))]
    chosen = best_run(runs, task)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(chosen.directory / MODEL_CARD, destination)
    return chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--task", help="task_name of the runs to choose from (default: the newest run's)")
    parser.add_argument("--logs", type=Path, default=PROJECT_ROOT / "logs", help="the runs' root folder")
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "docs" / MODEL_CARD)
    args = parser.parse_args(argv)
    with user_errors_as_messages():
        chosen = publish(args.logs, args.output, args.task)
    print(f"{args.output} <- {chosen.directory} ({chosen.metric} = {chosen.score:.4f}, task {chosen.task})")


if __name__ == "__main__":
    main()
