"""The loop's bookkeeping that every model shares, so that a model file shows only its network, its loss and
its predictions: what a training, validation and test step compute and log, the metrics, the test confusion
matrix, and the optimizer and learning-rate schedule (`configs/optimizer/`, `configs/scheduler/`).

How the LightningModules log a step without paying Lightning's logging cost at every step.

A `self.log` call costs a small model more than its forward pass (Lightning moves and checks its whole
record of the metric on every call). So a training step keeps its detached outputs, targets and loss, and
calls `self.log` for the step's loss only on the steps whose metrics go to the logger
(`trainer.log_every_n_steps`). Every `TRAIN_METRIC_STEPS` steps (fewer for large outputs: at most
`TRAIN_METRIC_VALUES` output values are kept), and at the epoch's last, the kept steps
update the training metrics and the running mean loss together: the same sums over the same examples as
an update per step, for a fraction of the calls, whose cost is a tenth of a table's tiny step. Metric
objects (the running mean, accuracy, ...) are handed to `log_dict` once per epoch: Lightning computes and
resets a logged metric object at the end of the epoch however often it was logged, so the values are the
same. Validation and test steps log and update as usual: they run once per evaluation, not once per
optimisation step."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import torch
from hydra.utils import instantiate
from lightning.fabric.utilities.data import AttributeDict
from lightning.pytorch import LightningModule
from torchmetrics import MeanMetric, MetricCollection
from torchmetrics.classification import MulticlassConfusionMatrix

from ..config import LIGHTNING_SCHEDULER_KEYS
from ..errors import ConfigError
from .hparams import as_plain_dict

# The settings of the metrics updated at every training and validation step. The data modules already made
# every label a class index below the number of classes; checking each batch again (`torch.unique` over
# its labels) would make every step wait for the device.
FIT_METRICS = {"validate_args": False}
# Training steps whose predictions are kept (detached: a batch of outputs each) until the training metrics are
# updated with all of them together. An update costs about a millisecond however many steps it holds: every
# 16 steps that was 2.5% of a table's 2.4 ms step, every 64 it is under 1%. The values bound the memory
# kept: 2**22 floats are 16 MB, 64 batches of 256 images in 256 classes.
TRAIN_METRIC_STEPS = 64
TRAIN_METRIC_VALUES = 2**22


def optimization_hyperparameters(optimizer: Mapping, scheduler: Mapping | None) -> dict[str, dict | None]:
    """The optimizer and scheduler configs as a checkpoint holds them: plain dicts, and None for a constant
    learning rate (`scheduler=none` composes an empty config)."""
    return {"optimizer": as_plain_dict(optimizer), "scheduler": as_plain_dict(scheduler) or None}


class BaseModel(LightningModule):
    """Training, validation and test steps, their metrics and logging, and `configure_optimizers`.

    A model subclasses it and defines `forward` (inputs -> raw outputs), `loss_of(outputs, targets)`,
    `predictions(outputs)` (what the metrics and users see: probabilities, or values in the target's
    units), `target_values(targets)` (the targets as the metrics see them), `is_regression`,
    `architecture` and `data_arguments()`. It hands this class how it is judged: `metrics(**settings)`
    builds its metric collection with torchmetrics' `sync_on_compute` and `validate_args`, and
    `num_classes` sizes the test confusion matrix (None for regression, which has none).
    """

    _train_metrics_logged = False

    def __init__(self, metrics: Callable[..., MetricCollection], num_classes: int | None) -> None:
        super().__init__()
        self.build_metrics = metrics
        # The epoch's mean training loss. NaN checks are the finite-loss guard's job; here they would cost a
        # host-device synchronisation per step.
        self.train_loss = MeanMetric(nan_strategy="disable")
        fit_metrics = metrics(**FIT_METRICS)
        self.train_metrics = fit_metrics.clone(prefix="train/")
        self.val_metrics = fit_metrics.clone(prefix="val/")
        self.test_metrics = metrics().clone(prefix="test/")
        self.test_confusion = None if num_classes is None else MulticlassConfusionMatrix(num_classes)
        self.test_confusion_matrix: torch.Tensor | None = None  # rows: true classes, columns: predicted
        # The training steps' (detached outputs, targets, loss) since the training metrics were last updated.
        self._pending_train_steps: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        self._pending_values = 0  # the kept outputs' elements

    def evaluation_metrics(self) -> MetricCollection:
        """The test metrics, computed by one process alone (for confidence intervals)."""
        return self.build_metrics(sync_on_compute=False)

    def _shared_step(self, batch: tuple[torch.Tensor, torch.Tensor], metrics: MetricCollection, stage: str):
        """A validation or test step: its loss and metrics, logged once per evaluation."""
        inputs, targets = batch
        outputs = self(inputs)
        loss = self.loss_of(outputs, targets)
        # The metrics need values, not gradients: `detach` cuts the graph before them.
        predictions = self.predictions(outputs.detach())
        metric_targets = self.target_values(targets)
        metrics.update(predictions, metric_targets)
        # Averaged over every device, once per evaluation.
        self.log(f"{stage}/loss", loss, on_epoch=True, prog_bar=True, sync_dist=True, batch_size=len(targets))
        self.log_dict(metrics, on_step=False, on_epoch=True, prog_bar=True)
        return loss, predictions, metric_targets

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        outputs = self(inputs)
        loss = self.loss_of(outputs, targets)
        # Values for the next update of the training metrics and mean loss, not gradients: detached.
        self._pending_train_steps.append((outputs.detach(), targets, loss.detach()))
        self._pending_values += outputs.numel()
        kept = len(self._pending_train_steps)
        if kept == TRAIN_METRIC_STEPS or self._pending_values >= TRAIN_METRIC_VALUES:
            self.update_train_metrics()
        self.log_training_step(loss)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._shared_step(batch, self.val_metrics, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        _, predictions, targets = self._shared_step(batch, self.test_metrics, "test")
        if self.test_confusion is not None:
            self.test_confusion.update(predictions, targets)

    def update_train_metrics(self) -> None:
        """Update the training metrics and mean loss with the steps kept since the last update."""
        if not self._pending_train_steps:
            return
        outputs, targets, losses = zip(*self._pending_train_steps, strict=True)
        self.train_metrics.update(
            self.predictions(torch.cat(outputs)), self.target_values(torch.cat(targets))
        )
        # Once per example: weighted by batch size, as Lightning's own epoch mean is (MeanMetric ignores its
        # `weight` argument when NaN checks are off). `expand` makes views, not copies.
        self.train_loss.update(
            torch.cat([loss.expand(len(batch)) for loss, batch in zip(losses, targets, strict=True)])
        )
        self._pending_train_steps = []
        self._pending_values = 0

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        # Before Lightning computes the epoch's metrics: at its last batch (the loader's end or a limit), or
        # when training stops within it (a callback's request, max_steps).
        trainer = self.trainer
        last = batch_idx + 1 >= trainer.num_training_batches or trainer.is_last_batch
        if last or trainer.should_stop or 0 <= trainer.max_steps <= trainer.global_step:
            self.update_train_metrics()

    def on_train_epoch_start(self) -> None:
        self._train_metrics_logged = False
        self._pending_train_steps = []
        self._pending_values = 0

    def on_train_epoch_end(self) -> None:
        self.update_train_metrics()  # nothing left by now, unless a stop came from outside the hooks above

    def log_training_step(self, loss: torch.Tensor) -> None:
        if self.logs_this_step():
            # Per device: synchronising the loss at every logged step would cost a collective call.
            self.log("train/loss_step", loss, on_step=True, on_epoch=False, prog_bar=True)
        if not self._train_metrics_logged:
            self.log("train/loss", self.train_loss, on_step=False, on_epoch=True, prog_bar=True)
            self.log_dict(self.train_metrics, on_step=False, on_epoch=True)
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

    def on_test_epoch_start(self) -> None:
        if self.test_confusion is not None:
            self.test_confusion.reset()

    def on_test_epoch_end(self) -> None:
        if self.test_confusion is not None:
            # compute() gathers the counts of every process, so every process must call it.
            self.test_confusion_matrix = self.test_confusion.compute().cpu()

    def configure_optimizers(self) -> dict[str, Any]:
        # Only trainable parameters: a frozen backbone is added later by a fine-tuning callback.
        parameters = [parameter for parameter in self.parameters() if parameter.requires_grad]
        return optimization(self.hparams.optimizer, self.hparams.scheduler, parameters, self._trainer)

    def on_train_start(self) -> None:
        check_schedule_length(self.trainer)


def optimization(
    optimizer_config: Mapping, scheduler_config: Mapping | None, parameters: list, trainer: Any
) -> dict[str, Any]:
    """What `configure_optimizers` returns for the optimizer and learning-rate scheduler configs (the
    hyperparameters'): `_partial_` configs, completed here with the `parameters` (and OneCycleLR with
    `trainer`'s run length)."""
    optimizer = instantiate(optimizer_config)(params=parameters)
    scheduler = scheduler_config
    if not scheduler:
        return {"optimizer": optimizer}
    if "_target_" not in scheduler:
        raise ConfigError(
            f"model.scheduler={scheduler} names no scheduler (_target_): its arguments sit next to "
            "interval and monitor, not under model.scheduler.scheduler. Pick one with scheduler=cosine, "
            "step, reduce_on_plateau or one_cycle, or scheduler=none for a constant learning rate."
        )
    arguments = {key: value for key, value in scheduler.items() if key not in LIGHTNING_SCHEDULER_KEYS}
    make_scheduler = instantiate(arguments)
    extra = {}
    if (
        "total_steps" in inspect.signature(make_scheduler.func).parameters
        and "total_steps" not in make_scheduler.keywords
    ):
        # OneCycleLR needs the run's length in steps, known only once the trainer has seen the data.
        extra["total_steps"] = int(trainer.estimated_stepping_batches)  # a Trainer is needed from here
    lr_scheduler = {
        "scheduler": make_scheduler(optimizer=optimizer, **extra),
        "interval": scheduler.get("interval", "epoch"),
    }
    if scheduler.get("monitor"):
        lr_scheduler["monitor"] = scheduler["monitor"]
    return {"optimizer": optimizer, "lr_scheduler": lr_scheduler}


def check_schedule_length(trainer: Any) -> None:
    """A schedule that spans a run's length (OneCycleLR), restored from a checkpoint into a longer run, has
    ended before the run does: refused with what to do, before its first step fails."""
    for config in trainer.lr_scheduler_configs:
        planned = getattr(config.scheduler, "total_steps", None)
        needed = trainer.estimated_stepping_batches
        if planned is not None and planned < needed:
            raise ConfigError(
                f"The checkpoint's learning-rate schedule ({type(config.scheduler).__name__}, "
                f"scheduler=one_cycle) spans the {planned} optimisation steps of the run it comes from, and "
                f"this run would take {int(needed)}: it cannot be stretched. Resume with that run's own "
                "trainer.max_epochs, or train a new run (without ckpt_path) for longer."
            )


class TrainedModel(Protocol):
    """What evaluation, reporting, deployment, interpretability and the entry points use of a trained model:
    every `BaseModel` subclass is one. From `device` on, it is what a LightningModule has anyway."""

    test_confusion_matrix: torch.Tensor | None  # after testing: rows true classes; None for regression
    val_metrics: MetricCollection  # their names are what a run logs for validation

    @property
    def hparams(self) -> AttributeDict:
        """Plain values only (checkpoints load with `weights_only=True`); `class_names` (None for regression)
        and every argument of the model's `__init__`."""

    @property
    def is_regression(self) -> bool: ...
    @property
    def architecture(self) -> str: ...  # one line for the model card
    def predictions(self, outputs: torch.Tensor) -> torch.Tensor: ...
    def target_values(self, targets: torch.Tensor) -> torch.Tensor: ...
    def evaluation_metrics(self) -> MetricCollection: ...
    def data_arguments(self) -> dict[str, Any]: ...

    device: torch.device
    dtype: torch.dtype

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor: ...
    def eval(self) -> TrainedModel: ...
    def float(self) -> TrainedModel: ...
    def to(self, *args: Any, **kwargs: Any) -> TrainedModel: ...
    def compile(self, *args: Any, **kwargs: Any) -> None: ...
    def parameters(self, recurse: bool = True) -> Iterator[torch.nn.Parameter]: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any: ...
