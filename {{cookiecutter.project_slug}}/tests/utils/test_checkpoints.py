"""Which checkpoint `ckpt_path` names: `last` and `best` look in the run's own directory first."""

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
