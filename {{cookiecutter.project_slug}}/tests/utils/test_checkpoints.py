"""Which checkpoint `ckpt_path` names: `last` looks in the run's own directory first, `best` at the
training runs."""

import json
import os
from pathlib import Path

import pytest
from tests.conftest import TINY_RUN

from {{ cookiecutter.package_name }}.config import compose_run_config
from {{ cookiecutter.package_name }}.errors import CheckpointError
from {{ cookiecutter.package_name }}.train import train
from {{ cookiecutter.package_name }}.utils.checkpoints import resolve_checkpoint

RUN = [
    *TINY_RUN,
    "experiment=tabular_breast_cancer",
    # The runs are extended, which a one-cycle schedule is not (tests/models/test_schedulers.py).
    "scheduler=cosine",
    "explain.after_training=false",
    "compare_baselines=false",
]


def train_in(log_dir: Path, *overrides: str) -> Path:
    cfg = compose_run_config("train", [*RUN, *overrides], log_dir)
    train(cfg)
    return Path(cfg.paths.output_dir)


def test_a_run_restarted_in_its_own_directory_resumes_from_it(tmp_path):
    requeued = tmp_path / "cluster" / "job_42"  # hydra.run.dir, outside logs/<task>/runs
    train_in(tmp_path / "logs", f"hydra.run.dir={requeued}")
    newer = train_in(tmp_path / "logs")  # a newer last.ckpt elsewhere must not be picked
    os.utime(newer / "checkpoints" / "last.ckpt")
    restarted = train_in(
        tmp_path / "logs", f"hydra.run.dir={requeued}", "ckpt_path=last", "trainer.max_epochs=2"
    )
    record = json.loads((restarted / "run_record.json").read_text())
    assert restarted == requeued
    assert record["resumed_from"] == str(requeued / "checkpoints" / "last.ckpt")
    assert record["training"]["epochs"] == 2


def test_a_run_directory_names_the_checkpoint_it_tested_unless_resuming(tmp_path):
    run_dir = train_in(tmp_path / "logs")
    tested = Path(json.loads((run_dir / "metrics.json").read_text())["checkpoint"])
    assert tested.name != "last.ckpt"
    assert resolve_checkpoint(str(run_dir), tmp_path) == tested
    assert resolve_checkpoint(str(run_dir), tmp_path, resuming=True) == run_dir / "checkpoints" / "last.ckpt"


def test_last_without_any_run_is_an_error_that_says_what_to_pass(tmp_path):
    with pytest.raises(CheckpointError, match="no run under .* has a checkpoints/last.ckpt"):
        resolve_checkpoint("last", tmp_path, this_run=tmp_path / "new_run")


def test_best_is_the_newest_training_runs_not_an_evaluation_of_an_older_one(tmp_path):
    def run(name: str, checkpoint: Path, evaluated: bool, written_at: int) -> None:
        (tmp_path / name).mkdir()
        metrics = tmp_path / name / "metrics.json"
        metrics.write_text(json.dumps({"checkpoint": str(checkpoint)}))
        os.utime(metrics, (written_at, written_at))
        record = {"checkpoint": {"path": str(checkpoint)}} if evaluated else {}
        (tmp_path / name / "run_record.json").write_text(json.dumps(record))

    older, newer = tmp_path / "older.ckpt", tmp_path / "newer.ckpt"
    for checkpoint in (older, newer):
        checkpoint.write_bytes(b"weights")
    run("train_older", older, evaluated=False, written_at=1_000)
    run("train_newer", newer, evaluated=False, written_at=2_000)
    run("eval_of_older", older, evaluated=True, written_at=3_000)  # the newest metrics.json
    assert resolve_checkpoint("best", tmp_path) == newer
