"""`tabular_fit`: what a user waits for with a table. The default tabular run (`experiment=tabular`, only
`data.path` and `data.target` given) trains on a generated table of mixed numeric and categorical columns;
its training phase (`training.seconds` in the run record) is weighed against the fit of the gradient-boosting
baseline the same run fits on the same split and inputs (its `fit_seconds` in metrics.json), and its test
score against that baseline's.

The scaling runs train a few epochs at growing row counts, each in a process of its own so that its peak
memory is its own: `python -m benchmarks.tabular_fit <table.csv> <log_dir> <epochs>` prints that run's
training seconds per epoch and peak resident memory as JSON."""

import contextlib
import io
import json
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT, compose_run_config
from {{ cookiecutter.package_name }}.train import train

TARGET = "spend"
# Kept out of a timed run: work after training that neither side's time includes.
AFTER_TRAINING = ["explain.after_training=false", "logger=csv", "report.bootstrap_resamples=10"]


def mixed_table(rows: int, seed: int = 0) -> pd.DataFrame:
    """A customer-like table: skewed, discrete and partly missing numbers, string and boolean categories,
    and a target made of smooth effects, thresholds, an interaction and noise (a test R² of about 0.93 is
    the ceiling), the kinds of structure both networks and trees must find."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(18, 90, rows)
    income = rng.lognormal(10.5, 0.6, rows)
    visits = rng.poisson(3.0, rows)
    tenure = rng.exponential(4.0, rows)
    region = rng.choice(["north", "south", "east", "west", "centre", "islands"], rows)
    plan = rng.choice(["basic", "plus", "premium"], rows, p=[0.6, 0.3, 0.1])
    member = rng.random(rows) < 0.4
    region_effect = pd.Series(
        {"north": 0.0, "south": 0.8, "east": -0.5, "west": 0.3, "centre": 1.2, "islands": -1.0}
    )
    plan_effect = pd.Series({"basic": 0.0, "plus": 1.0, "premium": 2.5})
    signal = (
        2.0 * np.sin(age / 12)
        + 1.5 * np.log(income / 20_000)
        + 0.4 * np.minimum(visits, 8)
        + np.where(tenure > 5, 1.0, 0.0)
        + region_effect[region].to_numpy()
        + plan_effect[plan].to_numpy() * np.where(member, 1.5, 1.0)
    )
    spend = signal + rng.normal(0, 0.6, rows)
    tenure[rng.random(rows) < 0.05] = np.nan  # gaps the pipeline imputes
    return pd.DataFrame(
        {
            "age": age.round(),
            "income": income.round(2),
            "visits": visits,
            "tenure": tenure.round(1),
            "region": region,
            "plan": plan,
            "member": member,
            TARGET: spend.round(3),
        }
    )


def write_table(rows: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"mixed-{rows}.csv"
    if not path.exists():
        mixed_table(rows).to_csv(path, index=False)
    return path


def default_run(table: Path, log_dir: Path, extra: list[str] = ()) -> dict:
    """One default tabular run: {"training_seconds", "epochs", "score", "baseline_seconds",
    "baseline_score"}, scores being test R²."""
    overrides = ["experiment=tabular", f"data.path={table}", f"data.target={TARGET}", *AFTER_TRAINING, *extra]
    cfg = compose_run_config("train", overrides, log_dir)
    train(cfg)
    run = Path(cfg.paths.output_dir)
    metrics = json.loads((run / "metrics.json").read_text())
    training = json.loads((run / "run_record.json").read_text())["training"]
    boosting = metrics["baselines"]["gradient_boosting"]
    return {
        "training_seconds": training["seconds"],
        "epochs": training["epochs"],  # completed epochs
        "score": metrics["metrics"]["test/r2"],
        "baseline_seconds": boosting["fit_seconds"],
        "baseline_score": boosting["test/r2"],
    }


def scaling_run(table: Path, log_dir: Path, epochs: int) -> dict:
    """A run of `epochs` epochs in a new process: its training seconds per epoch and peak memory."""
    command = [sys.executable, "-m", "benchmarks.tabular_fit", str(table), str(log_dir), str(epochs)]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"The scaling run on {table} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(table: str, log_dir: str, epochs: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        run = default_run(Path(table), Path(log_dir), [f"trainer.max_epochs={epochs}"])
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    seconds_per_epoch = run["training_seconds"] / run["epochs"]
    print(json.dumps({"seconds_per_epoch": seconds_per_epoch, "peak_memory_mb": peak_mb}))


if __name__ == "__main__":
    main(*sys.argv[1:])
