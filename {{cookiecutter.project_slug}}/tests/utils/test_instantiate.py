"""Callbacks and loggers built from their config groups."""

import pytest
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from omegaconf import OmegaConf

from {{ cookiecutter.package_name }}.errors import ConfigError
from {{ cookiecutter.package_name }}.utils.instantiate import (
    instantiate_callbacks,
    instantiate_loggers,
)


def test_callbacks_set_to_null_are_switched_off(make_config):
    cfg = make_config("train", "callbacks.lr_monitor=null", "callbacks.rich_progress_bar=null")
    kinds = {type(callback) for callback in instantiate_callbacks(cfg.callbacks)}
    assert {ModelCheckpoint, EarlyStopping} <= kinds
    # checkpoints (best and last), the exception (and pre-emption) checkpoint, early stopping, model
    # summary, metrics history, the finite-loss guard, the random states
    assert len(kinds) == 7


def test_a_logger_whose_package_is_missing_says_how_to_install_it():
    config = OmegaConf.create({"wandb": {"_target_": "missing_logger_package.WandbLogger"}})
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[wandb\]'"):
        instantiate_loggers(config)
