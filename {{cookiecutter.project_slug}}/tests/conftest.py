"""Shared fixtures: compose the real Hydra configs with small, fast overrides, writing into tmp_path."""

import importlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from omegaconf import DictConfig
from PIL import Image

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT, compose_run_config
from {{ cookiecutter.package_name }}.utils.lightning_noise import RANK_ZERO_LOGGER

# A real but tiny run: one epoch of two batches, checkpoints and metrics included.
TINY_RUN = [
    "trainer=cpu",
    "trainer.max_epochs=1",
    "+trainer.limit_train_batches=2",
    "+trainer.limit_val_batches=1",
    "+trainer.limit_test_batches=1",
    "callbacks.rich_progress_bar=null",
    "callbacks.model_summary=null",
    "report.bootstrap_resamples=50",
    "explain.samples=20",
    "explain.background=10",
    "explain.permutation_repeats=2",
    "explain.images=4",
    "explain.steps=4",
]

# The data options of `table_run`: a target and dropped columns whose names need quoting.
TABLE_RUN_OPTIONS = ["experiment=tabular", "data.target='Lifetime value'", "data.drop=[Notes,'Customer ID']"]


def pytest_configure(config: pytest.Config) -> None:
    # `make test` runs one pytest-xdist worker per core. One thread each keeps idle OpenMP threads from
    # spinning on the cores the other workers need: set here for this worker (torch is already imported),
    # and in the environment for the processes it starts.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ["OMP_NUM_THREADS"] = "1"
        torch.set_num_threads(1)


def run_module(
    module: str, *overrides: str, log_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`python -m <package>.<module> <overrides>` in a fresh process, logging under `log_dir`."""
    command = [sys.executable, "-m", f"{{ cookiecutter.package_name }}.{module}", *overrides]
    command.append(f"paths.log_dir={log_dir}")
    return subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., DictConfig]:
    """make_config("train", "data=digits", ...) -> a composed config whose outputs stay in tmp_path."""

    def make(config_name: str, *overrides: str) -> DictConfig:
        return compose_run_config(config_name, list(overrides), tmp_path / "logs")

    return make


def write_image_folder(root: Path, classes: tuple[str, ...] = ("cat", "dog"), per_class: int = 10) -> Path:
    """Tiny PNGs, one folder per class, with a colour per class so there is something to learn."""
    for index, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for number in range(per_class):
            colour = (index * 120 % 256, number * 20 % 256, 200 - index * 80)
            Image.new("RGB", (40, 32), colour).save(root / name / f"{number}.png")
    return root


@pytest.fixture
def tiny_run() -> list[str]:
    return list(TINY_RUN)


def run_in_process(verb: str, *overrides: str, monkeypatch, capsys) -> tuple[int, str]:
    """`python -m <package>.<verb> <overrides>` in this process: (exit code, what it wrote to stderr)."""
    monkeypatch.setattr(sys, "argv", [verb, *overrides])
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)  # would show tracebacks on purpose
    main = importlib.import_module(f"{{ cookiecutter.package_name }}.{verb}").main
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:  # Hydra's logging set-up writes to this test's captured streams: put the one before back
        for handler in set(root.handlers) - set(handlers):
            handler.close()
        root.handlers[:], root.level = handlers, level
    return exited.value.code, capsys.readouterr().err


def assert_one_message(stderr: str, *fragments: str) -> None:
    """One `Error: ...` block ends stderr (after the log lines before it, if any), and nothing else errs."""
    assert stderr.count("Error: ") == 1, stderr
    assert "Traceback" not in stderr and "Error executing job" not in stderr, stderr
    message = stderr[stderr.index("Error: ") :]
    for fragment in fragments:
        assert fragment in message, stderr


def assert_user_error(
    verb: str, arguments: list[str], kind: type, fragment: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    """The command ends with the exit code of `kind` and one message holding `fragment` (its run's logs
    under tmp_path unless the arguments say where)."""
    if not any(argument.startswith("paths.log_dir=") for argument in arguments):
        arguments = [*arguments, f"paths.log_dir={tmp_path / 'logs'}"]
    code, stderr = run_in_process(verb, *arguments, monkeypatch=monkeypatch, capsys=capsys)
    assert code == kind.exit_code, stderr
    assert_one_message(stderr, fragment)


def train_tiny(overrides: list[str], log_dir: Path) -> Path:
    """A tiny training run (no explanations); returns its last checkpoint."""
    from {{ cookiecutter.package_name }}.train import train

    cfg = compose_run_config("train", [*TINY_RUN, *overrides, "explain.after_training=false"], log_dir)
    train(cfg)
    return Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt"


def best_checkpoint_of(last: Path) -> Path:
    """The checkpoint a run tested (its best epoch), named in its metrics.json: what ckpt_path=best gives."""
    return Path(json.loads((last.parent.parent / "metrics.json").read_text())["checkpoint"])


@pytest.fixture(scope="session")
def tabular_checkpoint(tmp_path_factory) -> Path:
    """A binary classifier of the bundled breast-cancer table, shared by the error and deployment tests."""
    return train_tiny(["experiment=tabular_breast_cancer"], tmp_path_factory.mktemp("logs"))


@pytest.fixture
def offline_wandb(monkeypatch):
    """The wandb module, logging offline: nothing is uploaded, whichever account this machine logged into."""
    reason = "logger=wandb is an optional extra: pip install -e '.[wandb]'"
    wandb = pytest.importorskip("wandb", reason=reason)
    monkeypatch.setenv("WANDB_MODE", "offline")
    return wandb


def offline_wandb_runs(run_dir: Path) -> list[str]:
    """The ids of the offline W&B runs a run directory holds (`wandb/offline-run-<time>-<id>/`)."""
    return [path.name.rsplit("-", 1)[1] for path in (run_dir / "wandb").glob("offline-run-*")]


@pytest.fixture
def make_image_folder() -> Callable[..., Path]:
    return write_image_folder


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    return write_image_folder(tmp_path / "images")


def write_customer_table(path: Path, rows: int = 150, seed: int = 0) -> Path:
    """A table as users bring them: messy column names, an ID, free text, gaps, booleans, dates, a text
    class label (`Segment (tier)`) and a numeric target (`Lifetime value`), both learnable from the rest."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, rows).astype(float)
    spend = rng.gamma(2.0, 50.0, rows)
    city = rng.choice(["Lisbon", "Porto", "Faro"], rows).astype(object)
    member = rng.random(rows) < 0.4
    score = spend / 50 + member * 2 + (city == "Porto") - age / 40
    segment = np.where(score > 3, "gold", np.where(score > 1.5, "silver", "bronze"))
    age[rng.random(rows) < 0.1] = np.nan
    city[rng.random(rows) < 0.1] = None
    frame = pd.DataFrame(
        {
            "Customer ID": np.arange(1000, 1000 + rows),
            "Age (years)": age,
            "City": city,
            "Member?": member,
            "Signup date": pd.date_range("2020-01-01", periods=rows, freq="7D").strftime("%Y-%m-%d"),
            "Notes": [f"called on day {i}, {'happy' if i % 3 else 'unhappy'}" for i in range(rows)],
            "Spend ($)": spend.round(2),
            "Lifetime value": (spend * 3 + member * 100 + rng.normal(0, 10, rows)).round(2),
            "Segment (tier)": segment,
        }
    )
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def table_run(tmp_path_factory) -> Path:
    """A run of the user's own table with several data options, in a log folder of its own."""
    from {{ cookiecutter.package_name }}.train import train

    folder = tmp_path_factory.mktemp("table")
    table = write_customer_table(folder / "customers.csv")
    options = [*TINY_RUN, *TABLE_RUN_OPTIONS, f"data.path={table}", "explain.after_training=false"]
    cfg = compose_run_config("train", options, folder / "custom_logs")
    train(cfg)
    return Path(cfg.paths.output_dir)


@pytest.fixture
def customer_csv(tmp_path: Path) -> Path:
    return write_customer_table(tmp_path / "customers.csv")


@pytest.fixture
def lightning_messages() -> list[logging.LogRecord]:
    """Every message Lightning logs during the test (its rank-zero logger's), as the user would see it."""
    shown: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = shown.append
    logging.getLogger(RANK_ZERO_LOGGER).addHandler(handler)
    yield shown
    logging.getLogger(RANK_ZERO_LOGGER).removeHandler(handler)
