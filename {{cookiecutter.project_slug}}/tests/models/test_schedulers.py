"""Every `configs/scheduler/` option is one flat config (`model.scheduler._target_`, its arguments, and
Lightning's `interval` and `monitor` next to them) that becomes the scheduler Lightning steps;
`scheduler=none` keeps the learning rate constant."""

import pytest
import torch
from hydra.utils import instantiate
from lightning.pytorch import Trainer
from tests.conftest import TINY_RUN, train_tiny
from torch.optim.lr_scheduler import CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau, StepLR
from torch.utils.data import DataLoader, TensorDataset

from {{ cookiecutter.package_name }}.errors import ConfigError
from {{ cookiecutter.package_name }}.models.tabular_mlp import TabularMLP
from {{ cookiecutter.package_name }}.train import train

PREPROCESSING = {"target_mean": 0.0, "target_std": 1.0}
# option: (scheduler class, Lightning's interval, the metric it monitors)
SCHEDULERS = {
    "cosine": (CosineAnnealingLR, "epoch", None),
    "step": (StepLR, "epoch", None),
    "one_cycle": (OneCycleLR, "step", None),
    "reduce_on_plateau": (ReduceLROnPlateau, "epoch", "val/loss"),
}


def fit_with_scheduler(make_config, bare_trainer, scheduler: str) -> tuple[Trainer, TabularMLP]:
    """Two epochs of four steps on a small table, with the optimizer and scheduler the configs compose."""
    cfg = make_config(
        "train", "experiment=tabular_synthetic", "model=mlp", "optimizer=sgd", f"scheduler={scheduler}"
    )
    model = instantiate(cfg.model, input_size=4, task="regression", preprocessing=PREPROCESSING)
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(16, 4), torch.randn(16))
    trainer = bare_trainer(max_epochs=2)
    trainer.fit(model, DataLoader(data, batch_size=4), DataLoader(data, batch_size=8))
    return trainer, model


@pytest.mark.parametrize("scheduler", list(SCHEDULERS))
def test_a_flat_scheduler_config_builds_the_scheduler_lightning_steps(make_config, bare_trainer, scheduler):
    scheduler_class, interval, monitor = SCHEDULERS[scheduler]
    trainer, model = fit_with_scheduler(make_config, bare_trainer, scheduler)
    assert model.hparams.scheduler["_target_"] == f"torch.optim.lr_scheduler.{scheduler_class.__name__}"
    assert "scheduler" not in model.hparams.scheduler  # no stutter: model.scheduler.scheduler is gone
    [configured] = trainer.lr_scheduler_configs
    assert type(configured.scheduler) is scheduler_class
    assert (configured.interval, configured.monitor) == (interval, monitor)
    if scheduler == "one_cycle":
        # The run's length, filled in once the trainer knows it: 2 epochs of 4 steps.
        assert configured.scheduler.total_steps == trainer.estimated_stepping_batches == 8
    if scheduler == "cosine":
        assert configured.scheduler.T_max == 30  # ${trainer.max_epochs} of the tabular experiments


def test_no_scheduler_keeps_the_learning_rate_constant(make_config, bare_trainer):
    cfg = make_config("train", "experiment=tabular_synthetic", "optimizer=sgd", "scheduler=none")
    assert cfg.model.scheduler == {}  # `# @package model.scheduler`, like every other option
    trainer, model = fit_with_scheduler(make_config, bare_trainer, "none")
    assert trainer.lr_scheduler_configs == []
    assert trainer.optimizers[0].param_groups[0]["lr"] == cfg.model.optimizer.lr
    assert model.hparams.scheduler is None  # what checkpoints of constant-rate runs have always held


def test_a_scheduler_nested_the_old_way_is_refused_with_the_new_layout():
    nested = {"scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "_partial_": True, "step_size": 5}}
    optimizer = {"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.1}
    scheduler = {**nested, "interval": "epoch"}
    model = TabularMLP(4, "regression", optimizer, scheduler, preprocessing=PREPROCESSING)
    with pytest.raises(ValueError, match="names no scheduler .* not under model.scheduler.scheduler"):
        model.configure_optimizers()


def test_a_one_cycle_run_extended_from_its_checkpoint_is_refused_with_what_to_do(make_config, tmp_path):
    """Its schedule spans the first run's steps and has ended: stepping on would fail inside PyTorch."""
    first = train_tiny(["experiment=tabular_breast_cancer"], tmp_path / "logs")
    longer = make_config(
        "train",
        "experiment=tabular_breast_cancer",
        *TINY_RUN,
        f"ckpt_path={first}",
        "trainer.max_epochs=2",
        "compare_baselines=false",
    )
    with pytest.raises(ConfigError, match=r"spans the 2 optimisation steps .* this run would take 4"):
        train(longer)
