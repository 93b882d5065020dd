"""How the LightningModules log a step without paying Lightning's logging cost at every step.

A `self.log` call costs a small model more than its forward pass (Lightning moves and checks its whole
record of the metric on every call). So a training step only adds its loss to a running mean on the device,
and calls `self.log` for the step's loss only on the steps whose metrics go to the logger
(`trainer.log_every_n_steps`). Metric objects (the running mean, accuracy, ...) are handed to `log_dict`
once per epoch: Lightning computes and resets a logged metric object at the end of the epoch however often
it was logged, so the values are the same. Validation and test steps log as usual: they run once per
evaluation, not once per optimisation step."""

import torch
from lightning.pytorch import LightningModule
from torchmetrics import MeanMetric, MetricCollection

# The settings of the metrics updated at every training and validation step. The data modules already made
# every label a class index below the number of classes; checking each batch again (`torch.unique` over
# its labels) would make every step wait for the device.
FIT_METRICS = {"validate_args": False}


class StepLogging(LightningModule):
    _train_metrics_logged = False

    def __init__(self) -> None:
        super().__init__()
        # The epoch's mean training loss. NaN checks are the finite-loss guard's job; here they would cost a
        # host-device synchronisation per step.
        self.train_loss = MeanMetric(nan_strategy="disable")

    def on_train_epoch_start(self) -> None:
        self._train_metrics_logged = False

    def log_step(self, stage: str, loss: torch.Tensor, metrics: MetricCollection, batch_size: int) -> None:
        if stage != "train":
            # Averaged over every device, once per evaluation.
            self.log(
                f"{stage}/loss", loss, on_epoch=True, prog_bar=True, sync_dist=True, batch_size=batch_size
            )
            self.log_dict(metrics, on_step=False, on_epoch=True, prog_bar=True)
            return
        # Once per example: weighted by batch size, as Lightning's own epoch mean is (MeanMetric ignores its
        # `weight` argument when NaN checks are off). `expand` makes a view, not a copy.
        self.train_loss.update(loss.detach().expand(batch_size))
        if self.logs_this_step():
            # Per device: synchronising the loss at every logged step would cost a collective call.
            self.log("train/loss_step", loss, on_step=True, on_epoch=False, prog_bar=True)
        if not self._train_metrics_logged:
            self.log("train/loss", self.train_loss, on_step=False, on_epoch=True, prog_bar=True)
            self.log_dict(metrics, on_step=False, on_epoch=True)
            self._train_metrics_logged = True

    def logs_this_step(self) -> bool:
        """Whether Lightning writes this training step's metrics to the logger, decided as Lightning does:
        every `log_every_n_steps` optimisation steps, and at every step once a stop is signalled (while
        `min_epochs` holds training on) or in a `fast_dev_run`."""
        trainer = self._trainer  # None when a step runs on its own (a unit test, a notebook): no logger
        if trainer is None or trainer.log_every_n_steps == 0:
            return False
        every_n = (self.global_step + 1) % trainer.log_every_n_steps == 0
        return every_n or trainer.should_stop or bool(trainer.fast_dev_run)
