"""A training step logs cheaply without changing what is logged: the epoch's loss is the batch-size-weighted
mean of every step's loss, and step losses reach the logger on the steps Lightning writes."""

from pathlib import Path

import pandas as pd
import pytest
import torch
from lightning.pytorch import Callback, Trainer
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, TensorDataset

from {{ cookiecutter.package_name }}.models.tabular_mlp import TabularMLP

OPTIMIZER = {"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.05}


class StepLosses(Callback):
    def __init__(self) -> None:
        self.losses: list[float] = []
        self.batch_sizes: list[int] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        self.losses.append(float(outputs["loss"]))
        self.batch_sizes.append(len(batch[1]))


class StopSignalledEveryEpoch(Callback):
    """What early stopping does before `min_epochs` is reached: Lightning goes on, logging every step."""

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        trainer.should_stop = trainer.current_epoch > 0


def fit(tmp_path: Path, callbacks: list[Callback], **trainer_options) -> tuple[Trainer, pd.DataFrame]:
    """Two or more epochs over 22 rows in batches of 4 (the last batch: 2 rows); the logger's rows."""
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(22, 8), torch.randn(22))
    model = TabularMLP(8, "regression", OPTIMIZER, preprocessing={"target_mean": 0.0, "target_std": 1.0})
    trainer = Trainer(
        accelerator="cpu",
        log_every_n_steps=4,
        logger=CSVLogger(tmp_path),
        callbacks=callbacks,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        **trainer_options,
    )
    trainer.fit(model, DataLoader(data, batch_size=4))
    return trainer, pd.read_csv(next(tmp_path.rglob("metrics.csv")))


def test_the_epoch_loss_is_the_mean_of_every_step_and_step_losses_go_to_the_logger_every_n(tmp_path):
    steps = StepLosses()
    trainer, logged = fit(tmp_path, [steps], max_epochs=2)

    losses, sizes = torch.tensor(steps.losses), torch.tensor(steps.batch_sizes, dtype=torch.float)
    second_epoch = slice(6, 12)  # the last batch of each epoch weighs half as much as the others
    expected = (losses[second_epoch] * sizes[second_epoch]).sum() / sizes[second_epoch].sum()
    assert float(trainer.callback_metrics["train/loss"]) == pytest.approx(float(expected), rel=1e-5)

    step_rows = logged.dropna(subset=["train/loss_step"])
    # Lightning writes a step's metrics when (step + 1) is a multiple of log_every_n_steps: 3, 7 and 11.
    assert step_rows["step"].tolist() == [3, 7, 11]
    assert step_rows["train/loss_step"].tolist() == pytest.approx([steps.losses[i] for i in (3, 7, 11)])
    epoch_rows = logged.dropna(subset=["train/loss"])
    assert len(epoch_rows) == 2 and epoch_rows["train/loss"].iloc[-1] == pytest.approx(float(expected))


def test_every_step_lightning_writes_has_its_own_loss(tmp_path):
    steps = StepLosses()
    _, logged = fit(tmp_path, [steps, StopSignalledEveryEpoch()], max_epochs=5, min_epochs=3)
    step_rows = logged.dropna(subset=["train/loss_step"])
    # Epoch 0 every 4 steps, then every step of epochs 1 and 2 (a stop is signalled, min_epochs holds on).
    assert step_rows["step"].tolist() == [3, *range(6, 18)]
    expected = [steps.losses[step] for step in step_rows["step"]]
    assert step_rows["train/loss_step"].tolist() == pytest.approx(expected)
