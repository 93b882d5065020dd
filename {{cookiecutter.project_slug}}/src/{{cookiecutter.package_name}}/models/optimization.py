"""Optimizer and learning-rate scheduler from their configs (`configs/optimizer/`, `configs/scheduler/`),
shared by every model."""

import inspect
from collections.abc import Mapping
from typing import Any

from hydra.utils import instantiate
from lightning.pytorch import LightningModule


def configure_optimization(
    module: LightningModule, optimizer: Mapping, scheduler: Mapping | None
) -> dict[str, Any]:
    """What `configure_optimizers` returns.

    `optimizer` is a `_partial_` optimizer config; `scheduler` holds a `_partial_` scheduler config under
    `scheduler` plus Lightning's `interval` (epoch or step) and `monitor` (for ReduceLROnPlateau).
    """
    # Only trainable parameters: a frozen backbone is added later by a fine-tuning callback.
    parameters = [parameter for parameter in module.parameters() if parameter.requires_grad]
    built = instantiate(optimizer)(params=parameters)
    if not scheduler:
        return {"optimizer": built}
    make_scheduler = instantiate(scheduler["scheduler"])
    extra = {}
    if (
        "total_steps" in inspect.signature(make_scheduler.func).parameters
        and "total_steps" not in make_scheduler.keywords
    ):
        # OneCycleLR needs the run's length in steps, known only once the trainer has seen the data.
        extra["total_steps"] = int(module.trainer.estimated_stepping_batches)
    lr_scheduler = {
        "scheduler": make_scheduler(optimizer=built, **extra),
        "interval": scheduler.get("interval", "epoch"),
    }
    if scheduler.get("monitor"):
        lr_scheduler["monitor"] = scheduler["monitor"]
    return {"optimizer": built, "lr_scheduler": lr_scheduler}
