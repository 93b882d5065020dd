"""How the LightningModules log a step: the loss at every step, the metrics' objects once per epoch.

Lightning computes and resets a logged torchmetrics object at the end of the epoch however often it was
logged, so the training metrics (updated at every step) are handed to `log_dict` once per epoch: the
values are the same, and a small model's step is spared the cost of a `log_dict` call per step."""

import torch
from lightning.pytorch import LightningModule
from torchmetrics import MetricCollection


class StepLogging(LightningModule):
    _train_metrics_logged = False

    def on_train_epoch_start(self) -> None:
        self._train_metrics_logged = False

    def log_step(self, stage: str, loss: torch.Tensor, metrics: MetricCollection) -> None:
        training = stage == "train"
        # Validation and test losses are averaged over every device; the training loss stays per-device
        # because synchronising it on every step would cost a collective call per batch.
        self.log(
            f"{stage}/loss", loss, on_step=training, on_epoch=True, prog_bar=True, sync_dist=not training
        )
        if training and self._train_metrics_logged:
            return
        self.log_dict(metrics, on_step=False, on_epoch=True, prog_bar=not training)
        self._train_metrics_logged = training
