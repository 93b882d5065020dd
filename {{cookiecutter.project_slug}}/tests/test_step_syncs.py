"""A training step never makes the host wait for the device: no `.item()`, `bool(tensor)`, `.cpu()` or
data-dependent shapes in the modules' steps (metrics and logging included). On a GPU each of those stalls
the step until every queued kernel has run; on this CPU-only test they are caught as they are called."""

import sys

import pytest
import torch
from lightning.pytorch import LightningModule, Trainer
from torch.overrides import TorchFunctionMode
from torch.utils.data import DataLoader, TensorDataset

from {{ cookiecutter.package_name }}.models.image_classifier import ImageClassifier
from {{ cookiecutter.package_name }}.models.tabular_mlp import TabularMLP

OPTIMIZER = {"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.01}
# Calls whose answer lives on the host: on an accelerator each one waits for the device.
SYNCHRONISING = {
    "__bool__", "__int__", "__float__", "__index__", "item", "tolist", "numpy", "cpu",
    "nonzero", "unique", "masked_select",
}  # fmt: skip
# torchmetrics checks on the CPU whether predictions need a softmax, and on accelerators uses
# `torch.where` instead (no synchronisation): only its CPU branch runs here.
CPU_ONLY_BRANCHES = {"normalize_logits_if_needed"}
RECORDER = {"__torch_function__", "caller"}


class SynchronisingCalls(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in SYNCHRONISING and not in_cpu_only_branch():
            self.calls.append(f"{name} in {caller()}")
        return func(*args, **(kwargs or {}))


def in_cpu_only_branch() -> bool:
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name in CPU_ONLY_BRANCHES:
            return True
        frame = frame.f_back
    return False


def in_torch(frame) -> bool:
    return frame.f_globals.get("__name__", "").partition(".")[0] == "torch"


def caller() -> str:
    """The line that asked: the first frame outside torch and this recorder."""
    frame = sys._getframe(1)
    while in_torch(frame) or frame.f_code.co_name in RECORDER:
        frame = frame.f_back
    return f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno} ({frame.f_code.co_name})"


def synchronising_calls_in_training_steps(
    model: LightningModule, data: TensorDataset, monkeypatch
) -> list[str]:
    """Three training steps of `model` in a Trainer that logs at every step (so the logging branch runs)."""
    recorder = SynchronisingCalls()
    training_step = type(model).training_step

    def recorded_step(self, batch, batch_idx: int):
        with recorder:
            return training_step(self, batch, batch_idx)

    monkeypatch.setattr(type(model), "training_step", recorded_step)
    trainer = Trainer(
        accelerator="cpu",
        max_steps=3,
        log_every_n_steps=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, DataLoader(data, batch_size=4))
    return recorder.calls


@pytest.mark.parametrize(
    ("task", "class_names"),
    [("regression", None), ("classification", ["a", "b", "c"]), ("classification", ["no", "yes"])],
)
def test_a_tabular_training_step_never_waits_for_the_device(monkeypatch, task, class_names):
    torch.manual_seed(0)
    targets = torch.randn(12) if task == "regression" else torch.arange(12) % len(class_names)
    model = TabularMLP(
        5, task, OPTIMIZER, class_names=class_names, preprocessing={"target_mean": 1.0, "target_std": 2.0}
    )
    data = TensorDataset(torch.randn(12, 5), targets)
    assert synchronising_calls_in_training_steps(model, data, monkeypatch) == []


def test_an_image_training_step_never_waits_for_the_device(monkeypatch):
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(12, 3, 32, 32), torch.arange(12) % 3)
    model = ImageClassifier(3, OPTIMIZER)
    assert synchronising_calls_in_training_steps(model, data, monkeypatch) == []


def test_the_recorder_catches_a_synchronisation(monkeypatch):
    """The check above can fail: a step that reads its loss on the host is caught, with its line."""

    class ReadsItsLoss(TabularMLP):
        def training_step(self, batch, batch_idx: int):
            loss = super().training_step(batch, batch_idx)
            print(f"loss {loss.item():.3f}")
            return loss

    model = ReadsItsLoss(5, "regression", OPTIMIZER, preprocessing={"target_mean": 0.0, "target_std": 1.0})
    calls = synchronising_calls_in_training_steps(
        model, TensorDataset(torch.randn(12, 5), torch.randn(12)), monkeypatch
    )
    assert len(calls) == 3 and all(call.startswith("item in test_step_syncs.py") for call in calls)
