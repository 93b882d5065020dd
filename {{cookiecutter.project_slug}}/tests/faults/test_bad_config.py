"""Fault: a bad configuration. Misspelled keys, values of the wrong type, required values left as `???` and
unknown group options are all refused at start-up, each named by its config path with what would be
valid, before any data is loaded."""

import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT
from {{ cookiecutter.package_name }}.errors import ConfigError
from {{ cookiecutter.package_name }}.train import train

TRAIN_MODULE = "{{ cookiecutter.package_name }}.train"
MISSING_TABLE = ["experiment=tabular", "data.path=/nowhere/at/all.csv", "data.target=price"]


def test_every_problem_is_listed_with_its_path_before_any_data_is_loaded(make_config, tiny_run):
    cfg = make_config(
        "train",
        *tiny_run,
        *MISSING_TABLE,  # loading this file would fail: the checks come first
        "+trainer.max_epoch=3",
        "trainer.log_every_n_steps=often",
        "+model.dropot=0.2",
        "+model.scheduler.intervl=step",  # Lightning's keys sit next to the scheduler's arguments
        "+callbacks.early_stopping.patiense=3",
        "monitor.mode=maximum",
        "seed=abc",
        "data.batch_size=???",
        "+explain.sample=3",
        "+trainer.plugins={_target_:torch.device,type:cpu}",  # a builtin: no signature to check against
    )
    with pytest.raises(ConfigError) as refused:
        train(cfg)
    message = str(refused.value)
    assert "trainer.max_epoch: lightning.pytorch.trainer.Trainer takes no argument 'max_epoch'" in message
    assert "Did you mean max_epochs" in message
    assert (
        "trainer.log_every_n_steps: Value 'often' of type 'str' could not be converted to Integer" in message
    )
    assert "model.dropot:" in message and "Did you mean dropout?" in message
    assert "model.scheduler.intervl: torch.optim.lr_scheduler.OneCycleLR takes no argument" in message
    assert "Did you mean interval?" in message
    assert "callbacks.early_stopping.patiense:" in message and "Did you mean patience?" in message
    assert "monitor.mode: 'maximum' is not one of min, max." in message
    assert "seed: Value 'abc'" in message
    assert "data.batch_size: a value is required (???)" in message
    assert "explain.sample: 'sample' is not a setting" in message and "Did you mean samples?" in message
    assert "trainer.plugins" not in message
    assert not list(Path(cfg.paths.output_dir).glob("*.json"))  # not even a run record: nothing ran


def test_a_required_value_left_unset_is_asked_for(make_config):
    with pytest.raises(ConfigError, match=r"data.path: a value is required \(\?\?\?\)"):
        train(make_config("train", "experiment=tabular"))


def run_train(*overrides: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", TRAIN_MODULE, *overrides, "--cfg", "job"]
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)


def test_an_unknown_group_option_is_refused_with_the_valid_options():
    refused = run_train("model=resnet19")
    assert refused.returncode != 0
    assert "Could not find 'model/resnet19'" in refused.stderr
    assert "Available options in 'model'" in refused.stderr
    assert "mlp" in refused.stderr and "resnet18" in refused.stderr


def test_an_unknown_key_is_refused_on_the_command_line():
    refused = run_train("trainer.max_epoch=3")
    assert refused.returncode != 0
    assert "Key 'max_epoch' is not in struct" in refused.stderr and "trainer.max_epoch" in refused.stderr
