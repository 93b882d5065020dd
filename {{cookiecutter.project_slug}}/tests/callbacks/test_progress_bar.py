"""The progress bar updates a fixed number of times per second, whatever the number of batches, and
always shows the last batch of a loop."""

import pytest
import torch
from lightning.pytorch import Trainer
from torch.utils.data import DataLoader, TensorDataset

from {{ cookiecutter.package_name }}.callbacks import progress_bar
from {{ cookiecutter.package_name }}.callbacks.progress_bar import ThrottledRichProgressBar
from {{ cookiecutter.package_name }}.models.tabular_mlp import TabularMLP


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(progress_bar, "monotonic", clock)
    return clock


def test_a_batch_updates_the_bar_once_per_refresh_interval_and_at_the_end(clock):
    bar = ThrottledRichProgressBar(refresh_rate=10)
    assert bar.due(0, 100)  # the first batch
    clock.now += 0.05
    assert not bar.due(1, 100)  # within a tenth of a second
    assert bar.due(99, 100)  # the last batch, however soon
    clock.now += 0.1
    assert bar.due(2, 100)
    assert not bar.due(3, float("inf"))  # an iterable dataset has no last batch to wait for


def test_a_disabled_bar_skips_its_batches_as_lightnings_does():
    # What every process but the first gets under DDP: no loop state to count batches with.
    bar = ThrottledRichProgressBar()
    bar.disable()
    for hook in ("on_validation_batch_end", "on_test_batch_end", "on_predict_batch_end"):
        getattr(bar, hook)(None, None, None, None, batch_idx=0)


def fit(bar: ThrottledRichProgressBar, **trainer_options) -> None:
    """Training on 20 batches of a small table."""
    model = TabularMLP(8, "regression", {"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.01})
    data = DataLoader(TensorDataset(torch.randn(40, 8), torch.randn(40)), batch_size=2)
    trainer = Trainer(
        accelerator="cpu",
        logger=False,
        callbacks=[bar],
        enable_checkpointing=False,
        enable_model_summary=False,
        **trainer_options,
    )
    trainer.fit(model, data)


def test_a_training_run_reads_the_metrics_only_when_the_bar_is_due(clock, monkeypatch):
    bar = ThrottledRichProgressBar(refresh_rate=10)
    metric_reads = []
    monkeypatch.setattr(bar, "get_metrics", lambda trainer, module: metric_reads.append(1) or {})
    fit(bar, max_epochs=1)  # 20 batches while the clock stands still
    # The first and the last batch, and the end of the epoch: not 20 reads.
    assert len(metric_reads) == 3


def test_an_epoch_cut_short_leaves_the_bar_where_it_stopped(clock, monkeypatch):
    bar = ThrottledRichProgressBar(refresh_rate=10)
    shown = []
    update = bar._update

    def recorded_update(task, current: int, **options) -> None:
        shown.append(current)
        update(task, current, **options)

    monkeypatch.setattr(bar, "_update", recorded_update)
    fit(bar, max_epochs=1, max_steps=5)  # stops after 5 of 20 batches, none of them the last
    assert shown[-1] == 5
