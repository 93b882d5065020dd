"""Stops training at the first loss that is not a finite number, before it reaches the weights, and at
the first monitored validation metric that is not, before a checkpoint scored by it is saved.

One NaN or infinity in a loss turns every weight into NaN at the next optimiser step, and training then
goes on for hours producing nothing. Checking the loss before its backward pass stops the run at the step
where it happened, with the weights and the last checkpoint still intact. The check costs one read of a
number per step: on a CPU, nothing next to the backward pass; on a GPU, the host waits for the forward pass
before it queues the backward one (switch it off with callbacks.finite_loss=null). Lightning ranks a NaN
metric last, but the first checkpoint of a run becomes "best" whatever its score: stopping first keeps it
from being saved.
"""

import math

import torch
from lightning.pytorch import Callback, LightningModule, Trainer

from ..errors import TrainingError

LIKELY_CAUSES = (
    "a learning rate too high (try model.optimizer.lr ten times smaller)",
    "NaN or infinite values in the inputs, or inputs on very different scales (check the data)",
    "a log of zero or a division by zero in a custom loss",
    "16-bit overflow (use trainer.precision=bf16-mixed or 32-true)",
)


class NonFiniteLossError(TrainingError):
    """The training loss was NaN or infinite: the message names where, and what usually causes it."""


class FiniteLossGuard(Callback):
    def __init__(self, monitor: str | None = None) -> None:
        self.monitor = monitor
        self.batch_idx = 0

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch, batch_idx: int
    ) -> None:
        self.batch_idx = batch_idx

    def on_before_backward(self, trainer: Trainer, pl_module: LightningModule, loss: torch.Tensor) -> None:
        finite = math.isfinite(loss.item())  # one read of the scalar: cheaper than a check on the device
        if trainer.world_size > 1:  # all processes stop together, or the others wait forever in backward
            finite = trainer.strategy.reduce_boolean_decision(finite, all=True)
        if finite:
            return
        value = loss.detach().float().reshape(-1)[0].item()
        shown = value if not math.isfinite(value) else "not finite (on another process)"
        where = f"step {trainer.global_step} (epoch {trainer.current_epoch}, batch {self.batch_idx})"
        raise NonFiniteLossError(
            f"The training loss is {shown} at {where}: training stopped before this step changed the "
            f"weights, and the checkpoints written so far are unchanged. Likely causes:{likely_causes()}"
        )

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # Runs before the checkpoint callbacks, which Lightning always calls last.
        value = trainer.callback_metrics.get(self.monitor) if self.monitor else None
        if trainer.sanity_checking or value is None or bool(torch.isfinite(value).all()):
            return
        raise NonFiniteLossError(
            f"The monitored metric {self.monitor} is {value.item()} after epoch {trainer.current_epoch}: "
            f"training stopped before a checkpoint scored by it was saved, so the best checkpoint so far "
            f"stays the best. Likely causes:{likely_causes()}"
        )


def likely_causes() -> str:
    return "".join(f"\n  - {cause}" for cause in LIKELY_CAUSES)
