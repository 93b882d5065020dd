"""Training and validation steps never make the host wait for the device, but where a library gives no way
around it: no `.item()`, `bool(tensor)`, `.cpu()` or data-dependent shapes in the modules' steps (metrics
and logging included). On a GPU each of those stalls the step until every queued kernel has run; on this
CPU-only test they are caught as they are called (those inside PyTorch's own kernels are not seen)."""

import sys

import pytest
import torch
from lightning.pytorch import LightningModule
from torch.overrides import TorchFunctionMode
from torch.utils.data import DataLoader, TensorDataset

from {{ cookiecutter.package_name }}.models.image_classifier import ImageClassifier
from {{ cookiecutter.package_name }}.models.tabular_mlp import TabularMLP

OPTIMIZER = {"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.01}
# Calls whose answer lives on the host, or whose output size depends on the data: on an accelerator each
# one waits for the device. Indexing with a boolean mask is one too (see `synchronises`).
SYNCHRONISING = {
    "__bool__", "__int__", "__float__", "__index__", "item", "tolist", "numpy", "cpu",
    "nonzero", "unique", "masked_select", "bincount", "repeat_interleave",
}  # fmt: skip
# Functions whose synchronisations are allowed, and why.
EXEMPT = {
    # torchmetrics checks on the CPU whether predictions need a softmax; on accelerators it uses
    # `torch.where` instead: only its CPU branch runs here.
    "normalize_logits_if_needed",
}
RECORDER = {"__torch_function__", "caller", "synchronises"}
STEPS = ("training_step", "validation_step")


class SynchronisingCalls(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if synchronises(getattr(func, "__name__", ""), args) and not in_exempt_function():
            self.calls.append(f"{func.__name__} in {caller()}")
        return func(*args, **(kwargs or {}))


def synchronises(name: str, args: tuple) -> bool:
    if name == "__getitem__":
        index = args[1] if len(args) > 1 else None
        return isinstance(index, torch.Tensor) and index.dtype == torch.bool
    return name in SYNCHRONISING


def in_exempt_function() -> bool:
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name in EXEMPT:
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


def synchronising_calls_in_steps(
    model: LightningModule, data: TensorDataset, monkeypatch, bare_trainer
) -> list[str]:
    """Three training steps of `model` (in a Trainer that logs at every step, so the logging branch runs)
    and its validation steps (the sanity check's and the epoch's)."""
    recorder = SynchronisingCalls()
    for name in STEPS:
        step = getattr(type(model), name)

        def recorded_step(self, batch, batch_idx: int, step=step):
            with recorder:
                return step(self, batch, batch_idx)

        monkeypatch.setattr(type(model), name, recorded_step)
    trainer = bare_trainer(max_steps=3, limit_val_batches=2, log_every_n_steps=1)
    trainer.fit(model, DataLoader(data, batch_size=4), DataLoader(data, batch_size=4))
    return recorder.calls


@pytest.mark.parametrize(
    ("task", "class_names"),
    [("regression", None), ("classification", ["a", "b", "c"]), ("classification", ["no", "yes"])],
)
def test_tabular_steps_never_wait_for_the_device(monkeypatch, bare_trainer, task, class_names):
    torch.manual_seed(0)
    targets = torch.randn(12) if task == "regression" else torch.arange(12) % len(class_names)
    model = TabularMLP(
        5, task, OPTIMIZER, class_names=class_names, preprocessing={"target_mean": 1.0, "target_std": 2.0}
    )
    data = TensorDataset(torch.randn(12, 5), targets)
    assert synchronising_calls_in_steps(model, data, monkeypatch, bare_trainer) == []


def test_image_steps_never_wait_for_the_device(monkeypatch, bare_trainer):
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(12, 3, 32, 32), torch.arange(12) % 3)
    model = ImageClassifier(3, OPTIMIZER)
    assert synchronising_calls_in_steps(model, data, monkeypatch, bare_trainer) == []


def test_the_recorder_catches_a_synchronisation(monkeypatch, bare_trainer):
    """The checks above can fail: a step that reads its loss on the host, or picks rows with a boolean
    mask, is caught, with its line."""

    class Synchronises(TabularMLP):
        def training_step(self, batch, batch_idx: int):
            loss = super().training_step(batch, batch_idx)
            print(f"loss {loss.item():.3f}")
            return loss

        def validation_step(self, batch, batch_idx: int) -> None:
            inputs, targets = batch
            super().validation_step((inputs[targets > 0], targets[targets > 0]), batch_idx)

    model = Synchronises(5, "regression", OPTIMIZER, preprocessing={"target_mean": 0.0, "target_std": 1.0})
    data = TensorDataset(torch.randn(12, 5), torch.randn(12))
    calls = synchronising_calls_in_steps(model, data, monkeypatch, bare_trainer)
    where = {call.split(":")[0] for call in calls}
    assert where == {"item in test_step_syncs.py", "__getitem__ in test_step_syncs.py"}
    # Three training steps, and four validation batches (two in the sanity check), each masked twice.
    assert len(calls) == 3 + 4 * 2
