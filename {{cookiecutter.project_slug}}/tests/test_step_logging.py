"""A training step logs cheaply without changing what is logged: the epoch's loss is the batch-size-weighted
mean of every step's loss, and step losses reach the logger on the steps Lightning writes."""

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


def test_the_epoch_loss_is_the_mean_of_every_step_and_step_losses_go_to_the_logger_every_n(tmp_path):
    torch.manual_seed(0)
    # 22 rows in batches of 4: five full batches and a last one of 2, which must weigh half as much.
    data = TensorDataset(torch.randn(22, 8), torch.randn(22))
    model = TabularMLP(8, "regression", OPTIMIZER, preprocessing={"target_mean": 0.0, "target_std": 1.0})
    steps = StepLosses()
    trainer = Trainer(
        accelerator="cpu",
        max_epochs=2,
        log_every_n_steps=4,
        logger=CSVLogger(tmp_path),
        callbacks=[steps],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, DataLoader(data, batch_size=4))

    losses, sizes = torch.tensor(steps.losses), torch.tensor(steps.batch_sizes, dtype=torch.float)
    second_epoch = slice(6, 12)
    expected = (losses[second_epoch] * sizes[second_epoch]).sum() / sizes[second_epoch].sum()
    assert float(trainer.callback_metrics["train/loss"]) == pytest.approx(float(expected), rel=1e-5)

    logged = pd.read_csv(next(tmp_path.rglob("metrics.csv")))
    step_rows = logged.dropna(subset=["train/loss_step"])
    # Lightning writes a step's metrics when (step + 1) is a multiple of log_every_n_steps: 3, 7 and 11.
    assert step_rows["step"].tolist() == [3, 7, 11]
    assert step_rows["train/loss_step"].tolist() == pytest.approx([steps.losses[i] for i in (3, 7, 11)])
    epoch_rows = logged.dropna(subset=["train/loss"])
    assert len(epoch_rows) == 2 and epoch_rows["train/loss"].iloc[-1] == pytest.approx(float(expected))
