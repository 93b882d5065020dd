"""Fault: the process is killed outright (SIGKILL) after its second epoch. Launched again with
`ckpt_path=last`, the run ends exactly where the same run left alone ends: the same weights and the same
test metrics, as the checkpoints carry every random state (shuffling, dropout) along with the weights."""

import json
import os
import random
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from tests.conftest import run_module

from {{ cookiecutter.package_name }}.callbacks.random_state import RandomStateCheckpoint
from {{ cookiecutter.package_name }}.run_directory import LAST_CHECKPOINT

# kill_switch.py lives beside this file, outside the package.
PYTHONPATH = os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])
# Dropout and a shuffled training set make every epoch depend on the random state the epoch before left.
RUN = [
    "experiment=tabular_breast_cancer",
    "trainer=cpu",
    "trainer.max_epochs=4",
    "trainer.deterministic=true",
    "seed=3",
    "data.batch_size=64",
    "model.dropout=0.3",
    "callbacks.early_stopping=null",
    "callbacks.rich_progress_bar=null",
    "logger=csv",
    "explain.after_training=false",
    "compare_baselines=false",
    "report.bootstrap_resamples=10",
]


def train_in_a_process(*overrides: str, log_dir: Path) -> subprocess.CompletedProcess:
    return run_module("train", *RUN, *overrides, log_dir=log_dir, env={"PYTHONPATH": PYTHONPATH})


def final_state(log_dir: Path) -> tuple[dict, dict]:
    (metrics_file,) = [path for path in log_dir.rglob("metrics.json") if path.parent.name != "checkpoints"]
    (last,) = log_dir.rglob(LAST_CHECKPOINT)
    metrics = json.loads(metrics_file.read_text())["metrics"]
    return metrics, torch.load(last, map_location="cpu", weights_only=True)


@pytest.mark.slow
def test_a_run_killed_after_its_second_epoch_resumes_to_the_same_result(tmp_path):
    left_alone = train_in_a_process(log_dir=tmp_path / "left_alone")
    assert left_alone.returncode == 0, left_alone.stderr[-3000:]

    killed_dir = tmp_path / "killed"
    kill = ["+callbacks.kill._target_=kill_switch.KillAtEpochStart", "+callbacks.kill.epoch=2"]
    killed = train_in_a_process(*kill, log_dir=killed_dir)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    (last,) = killed_dir.rglob(LAST_CHECKPOINT)
    assert torch.load(last, map_location="cpu", weights_only=True)["epoch"] == 1

    resumed = train_in_a_process("ckpt_path=last", log_dir=killed_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    expected_metrics, expected_checkpoint = final_state(tmp_path / "left_alone")
    metrics, checkpoint = final_state(killed_dir)
    assert checkpoint["global_step"] == expected_checkpoint["global_step"]
    for name, weights in expected_checkpoint["state_dict"].items():
        assert torch.equal(checkpoint["state_dict"][name], weights), name
    test_metrics = {name: value for name, value in expected_metrics.items() if name.startswith("test/")}
    assert test_metrics and {name: metrics[name] for name in test_metrics} == test_metrics


def saved_and_loaded(state: dict, path: Path) -> dict:
    torch.save(state, path)
    return torch.load(path, weights_only=True)


def test_the_training_order_continues_from_a_saved_datamodule_state(make_config, tmp_path):
    def epoch_order(datamodule) -> list[int]:
        return torch.cat([labels for _, labels in datamodule.train_dataloader()]).tolist()

    data = make_config("train", "data.batch_size=16").data
    original, resumed = instantiate(data), instantiate(data)
    for datamodule in (original, resumed):
        datamodule.setup("fit")
    first_epoch = epoch_order(original)
    resumed.load_state_dict(saved_and_loaded(original.state_dict(), tmp_path / "data.pt"))
    # A new DataLoader, as a resumed run builds: it draws the order the original's next epoch draws.
    assert epoch_order(resumed) == epoch_order(original) != first_epoch


def test_the_global_random_states_come_back_from_a_checkpoint(tmp_path):
    callback = RandomStateCheckpoint()
    saved = saved_and_loaded(callback.state_dict(), tmp_path / "states.pt")
    draws = (torch.rand(3), np.random.rand(3), random.random())
    callback.load_state_dict(saved)
    again = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(draws[0], again[0]) and np.array_equal(draws[1], again[1]) and draws[2] == again[2]
