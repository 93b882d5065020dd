"""A callback the benchmarks add from the command line (`+callbacks.step_timer._target_=...`): it notes
the time at the end of every training step, and writes the times to a JSON file when training ends (or
at the first step, for the start-up benchmark, which then ends the process)."""

import json
import os
import time
from collections.abc import Callable, Collection
from pathlib import Path

import torch
from lightning.pytorch import Callback, LightningModule, Trainer


def synchronize(device: torch.device) -> None:
    """Wait for the work queued on `device`: a GPU runs it after the Python call returned. Nothing to wait
    for on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def window_edges(warmup: int, steps: int) -> list[int]:
    """The (0-based) steps whose ends bound the timed window of `window_seconds_per_step`. Only there does a
    step's end wait for the GPU: waiting at every step would also stop the host from queueing the next
    step while the GPU runs this one, and charge a loop's per-step host work in full."""
    return [warmup - 1, warmup + steps - 1]


def synchronizing_at(device: torch.device, steps: Collection[int]) -> Callable[[int], None]:
    """A step-end action for a hand-written loop: `synchronize(device)` after each of `steps`."""
    return lambda step: synchronize(device) if step in steps else None


class StepTimer(Callback):
    def __init__(
        self, path: str, exit_at_first_step: bool = False, synchronize_at: Collection[int] = ()
    ) -> None:
        self.path = Path(path)
        self.exit_at_first_step = exit_at_first_step
        self.synchronize_at = set(synchronize_at)  # `window_edges`
        self.step_ends: list[float] = []

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch, batch_idx: int
    ) -> None:
        if self.exit_at_first_step and trainer.is_global_zero:
            # Wall-clock time, comparable with the launching process's own clock.
            self.path.write_text(json.dumps({"first_step": time.time()}))
            os._exit(0)  # everything after the first step is not part of start-up

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs, batch, batch_idx: int
    ) -> None:
        if len(self.step_ends) in self.synchronize_at:
            synchronize(pl_module.device)
        self.step_ends.append(time.perf_counter())

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.is_global_zero:
            self.path.write_text(json.dumps({"step_ends": self.step_ends}))


def seconds_per_step(path: Path, warmup: int, steps: int) -> float:
    """`window_seconds_per_step` of the step end times a StepTimer wrote to `path`."""
    return window_seconds_per_step(json.loads(Path(path).read_text())["step_ends"], warmup, steps, str(path))


def window_seconds_per_step(ends: list[float], warmup: int, steps: int, source: str = "The run") -> float:
    """Mean time of the `steps` steps after the first `warmup` ones, from when each step ended: a window of
    consecutive steps, so that costs paid every n steps (logging, progress bar) count at their real
    frequency."""
    if len(ends) < warmup + steps:
        raise RuntimeError(f"{source} has {len(ends)} steps; the benchmark needs {warmup + steps}.")
    return (ends[warmup + steps - 1] - ends[warmup - 1]) / steps
