"""Faults: outputs that cannot be written (a log folder that is a file, a checkpoint folder nobody can
create, a nearly full disk) are refused with the folder and the fix before training starts; two runs
started at once never share a run directory or a checkpoint."""

import shutil
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest
from torch.nn import Linear

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT
from {{ cookiecutter.package_name }}.train import train
from {{ cookiecutter.package_name }}.utils import output_checks
from {{ cookiecutter.package_name }}.utils.output_checks import OutputDirectoryError

DiskUsage = namedtuple("DiskUsage", "total used free")


def train_command(*overrides: str) -> list[str]:
    return [sys.executable, "-m", "{{ cookiecutter.package_name }}.train", *overrides]


def test_a_log_folder_that_cannot_be_made_is_refused_before_the_run(tmp_path):
    in_a_file = tmp_path / "a_file"
    in_a_file.write_text("not a folder")
    refused = subprocess.run(
        train_command("debug=fdr", f"paths.log_dir={in_a_file}/logs"),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == OutputDirectoryError.exit_code
    # One line that says it all, not a traceback from inside Hydra's config resolution.
    assert refused.stderr.strip().splitlines() == [
        f"Error: Cannot write into {in_a_file}/logs/debug/runs: Not a directory. Nothing was run: choose "
        "another folder with paths.log_dir=<folder> (or fix its permissions)."
    ]


def test_a_checkpoint_folder_that_cannot_be_made_is_refused_before_training(make_config, tiny_run, tmp_path):
    in_a_file = tmp_path / "a_file"
    in_a_file.write_text("not a folder")
    cfg = make_config("train", *tiny_run, f"callbacks.model_checkpoint.dirpath={in_a_file}/checkpoints")
    with pytest.raises(
        OutputDirectoryError, match=f"Cannot write into {in_a_file}/checkpoints: Not a directory"
    ):
        train(cfg)


def test_a_disk_without_room_for_the_checkpoints_is_refused_before_training(
    make_config, tiny_run, monkeypatch
):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: DiskUsage(2**30, 2**30 - 2**20, 2**20))
    cfg = make_config("train", *tiny_run)
    with pytest.raises(OutputDirectoryError, match=r"Only 1 MiB free under .*checkpoints; 4 checkpoints"):
        train(cfg)
    assert not list(Path(cfg.paths.output_dir).rglob("*.ckpt"))


def test_the_room_needed_grows_with_the_model():
    small, large = (output_checks.checkpoint_bytes(layer) for layer in (Linear(10, 1), Linear(1000, 100)))
    assert small == 3 * 4 * (10 + 1) and large == 3 * 4 * (1000 * 100 + 100)


@pytest.mark.slow
def test_two_runs_started_at_once_keep_their_own_directories_and_checkpoints(tmp_path):
    run = [
        "trainer=cpu",
        "trainer.max_epochs=1",
        "+trainer.limit_train_batches=2",
        "+trainer.limit_val_batches=1",
    ]
    run += ["+trainer.limit_test_batches=1", "explain.after_training=false", f"paths.log_dir={tmp_path}"]
    processes = [
        subprocess.Popen(train_command(*run, f"tags=[run{number}]"), cwd=PROJECT_ROOT, stderr=subprocess.PIPE)
        for number in range(2)
    ]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()[-3000:]
    run_dirs = sorted((tmp_path / "train" / "runs").iterdir())
    assert len(run_dirs) == 2
    for run_dir in run_dirs:
        assert (run_dir / "checkpoints" / "last.ckpt").is_file()
        assert (run_dir / "run_record.json").is_file()
