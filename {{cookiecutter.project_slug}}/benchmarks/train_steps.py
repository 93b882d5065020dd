"""`train_step_mlp` and `train_step_resnet18`: the template's training step against a hand-written
PyTorch loop on the same model, data loader, batch size and optimizer.

The template side runs `train()` itself, so its step carries everything a real run does: the
LightningModule's metrics and logging, the default callbacks, the logger, the progress bar. Timing covers
a window of consecutive steps after a warm-up, inside the first epoch (no validation in between).

A third loop, Lightning's own with nothing of the template's (no callbacks, logger, progress bar or
metrics; the same optimizer and learning-rate schedule, which are the recipe), shows how much of the
difference is the framework's loop and how much is the template's."""

import contextlib
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from uuid import uuid4

import torch
from hydra.utils import instantiate
from lightning.pytorch import LightningModule, Trainer
from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.config import compose_run_config
from {{ cookiecutter.package_name }}.models.base import optimization
from {{ cookiecutter.package_name }}.train import train

from .step_timer import (
    StepTimer,
    seconds_per_step,
    synchronizing_at,
    window_edges,
    window_seconds_per_step,
)

STEP_TIMER = "benchmarks.step_timer.StepTimer"
# The tables' default network at its default batch size (1024 rows for the benchmark's table): tiny steps,
# where a framework's fixed per-step costs show.
MLP = ["experiment=tabular_synthetic"]
# ResNet18 on the bundled digits at 32 px, the default experiment's model and data.
RESNET18 = ["experiment=digits_resnet18"]
CPU = torch.device("cpu")


def one_window(warmup: int, steps: int, trainer: str | None = "cpu") -> list[str]:
    """A run whose first epoch holds the timed steps, with the least work after it (test one batch, no
    explanations or baselines), on `trainer` (None: the overrides choose)."""
    return [
        *([f"trainer={trainer}"] if trainer else []),
        "trainer.max_epochs=1",
        f"+trainer.limit_train_batches={warmup + steps}",
        "+trainer.limit_val_batches=1",
        "+trainer.limit_test_batches=1",
        "explain.after_training=false",
        "compare_baselines=false",
        "report.bootstrap_resamples=10",
    ]


def run_config(
    overrides: list[str], warmup: int, steps: int, log_dir: Path, trainer: str | None = "cpu"
) -> DictConfig:
    return compose_run_config("train", [*overrides, *one_window(warmup, steps, trainer)], log_dir)


def template_seconds_per_step(
    overrides: list[str], warmup: int, steps: int, log_dir: Path, trainer: str | None = "cpu"
) -> float:
    timer_file = log_dir / f"steps-{uuid4().hex}.json"
    timer = [
        f"+callbacks.step_timer._target_={STEP_TIMER}",
        f"+callbacks.step_timer.path={timer_file}",
        f"+callbacks.step_timer.synchronize_at={window_edges(warmup, steps)}",
    ]
    train(run_config([*overrides, *timer], warmup, steps, log_dir, trainer))
    return seconds_per_step(timer_file, warmup, steps)


def model_and_data(cfg: DictConfig):
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    return instantiate(cfg.model, **datamodule.model_arguments()), datamodule


def hand_written_seconds_per_step(
    cfg: DictConfig,
    warmup: int,
    steps: int,
    device: torch.device = CPU,
    precision: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    compile_model: bool = False,
) -> float:
    """`hand_written_steps` of cfg's model, data and optimizer on `device`: seconds per timed step."""
    model, datamodule = model_and_data(cfg)
    model.to(device).train()
    optimizer = instantiate(cfg.model.optimizer)(params=model.parameters())
    step_ends = hand_written_steps(
        model,
        torch.compile(model) if compile_model else model,
        optimizer,
        lambda epoch: datamodule.batches("train", device),
        warmup + steps,
        precision=precision,
        step_end=synchronizing_at(device, window_edges(warmup, steps)),
    )
    return window_seconds_per_step(step_ends, warmup, steps)


def hand_written_steps(
    model,
    forward: Callable,
    optimizer,
    batches_of_epoch: Callable[[int], Iterable],
    count: int,
    precision: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    step_end: Callable[[int], None] = lambda step: None,
) -> list[float]:
    """The loop a practitioner writes: zero the gradients, forward, loss, backward, step; nothing else.
    `precision` wraps the forward pass and loss (mixed precision: an autocast); `step_end(step)` runs
    before a step's end is noted (on a GPU: `synchronizing_at` the timed window's edges). Returns when
    each of `count` steps ended."""
    step_ends: list[float] = []
    epoch = 0
    while True:
        for inputs, targets in batches_of_epoch(epoch):
            optimizer.zero_grad(set_to_none=True)
            with precision():
                loss = model.loss_of(forward(inputs), targets)
            loss.backward()
            optimizer.step()
            step_end(len(step_ends))
            step_ends.append(time.perf_counter())
            if len(step_ends) == count:
                return step_ends
        epoch += 1


class BareLightningModule(LightningModule):
    """The hand-written step inside Lightning's loop: the project's network, loss, optimizer and
    learning-rate schedule only (the recipe, not the project's bookkeeping), on batches finished by the
    data module (`finish_batch`) as in the project's runs."""

    def __init__(self, model: LightningModule, finish_batch: Callable) -> None:
        super().__init__()
        self.model = model
        self.finish_batch = finish_batch

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        return self.finish_batch(batch)

    def training_step(self, batch, batch_idx: int):
        inputs, targets = batch
        return self.model.loss_of(self.model(inputs), targets)

    def configure_optimizers(self):
        hparams = self.model.hparams
        return optimization(hparams.optimizer, hparams.scheduler, list(self.parameters()), self.trainer)


def bare_lightning_seconds_per_step(cfg: DictConfig, warmup: int, steps: int, log_dir: Path) -> float:
    model, datamodule = model_and_data(cfg)
    timer_file = log_dir / f"steps-{uuid4().hex}.json"
    trainer = Trainer(
        accelerator="cpu",
        max_epochs=1,
        limit_train_batches=warmup + steps,
        logger=False,
        callbacks=[StepTimer(str(timer_file))],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    bare = BareLightningModule(model, datamodule.finish_batch)
    trainer.fit(bare, datamodule.train_dataloader())
    return seconds_per_step(timer_file, warmup, steps)
