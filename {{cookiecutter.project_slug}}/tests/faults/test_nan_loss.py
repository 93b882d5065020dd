"""Fault: a loss that is not a finite number. Training stops at that step, in seconds, with a message naming
the step and the likely causes, before the weights or the checkpoints written so far are touched."""

import json
import time
from pathlib import Path

import pytest
import torch

from {{ cookiecutter.package_name }}.callbacks.finite_loss import NonFiniteLossError
from {{ cookiecutter.package_name }}.data.digits import DigitsDataModule
from {{ cookiecutter.package_name }}.models.image_classifier import ImageClassifier
from {{ cookiecutter.package_name }}.train import train

RUN = ["trainer.max_epochs=2", "trainer.limit_train_batches=3", "explain.after_training=false"]


def test_a_nan_in_the_data_stops_the_run_at_its_step(make_config, tiny_run, monkeypatch):
    original_setup = DigitsDataModule.setup

    def setup_with_a_nan(self, stage=None):
        original_setup(self, stage)
        self.train_set.tensors[0][:, 0, 0, 0] = float("nan")  # every training image: the first batch

    monkeypatch.setattr(DigitsDataModule, "setup", setup_with_a_nan)
    cfg = make_config("train", *tiny_run, *RUN)
    started = time.monotonic()
    with pytest.raises(NonFiniteLossError, match=r"loss is nan at step 0 \(epoch 0, batch 0\)") as raised:
        train(cfg)
    assert time.monotonic() - started < 60  # seconds, not epochs
    assert "learning rate too high" in str(raised.value) and "NaN or infinite values in the inputs" in str(
        raised.value
    )
    record = json.loads((Path(cfg.paths.output_dir) / "run_record.json").read_text())
    assert record["status"] == "failed" and "NonFiniteLossError" in record["error"]


def test_the_last_good_checkpoint_survives_a_nan_later_in_training(make_config, tiny_run, monkeypatch):
    original_step = ImageClassifier.training_step

    def step_that_diverges(self, batch, batch_idx):
        loss = original_step(self, batch, batch_idx)
        return loss * float("inf") if (self.current_epoch, batch_idx) == (1, 2) else loss

    monkeypatch.setattr(ImageClassifier, "training_step", step_that_diverges)
    cfg = make_config("train", *tiny_run, *RUN)
    with pytest.raises(NonFiniteLossError, match=r"loss is inf at step 5 \(epoch 1, batch 2\)"):
        train(cfg)
    last = torch.load(Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["epoch"] == 0 and last["global_step"] == 3  # the end of the good epoch
    assert all(
        torch.isfinite(weight).all() for weight in last["state_dict"].values() if weight.is_floating_point()
    )


def test_a_nan_validation_metric_never_becomes_best(make_config, tiny_run, monkeypatch):
    original_step = ImageClassifier.validation_step

    def step_that_breaks(self, batch, batch_idx):
        if not self.trainer.sanity_checking:
            images, labels = batch
            batch = (images * float("nan"), labels)
        return original_step(self, batch, batch_idx)

    monkeypatch.setattr(ImageClassifier, "validation_step", step_that_breaks)
    cfg = make_config("train", *tiny_run, *RUN, "monitor.metric=val/loss", "monitor.mode=min")
    with pytest.raises(NonFiniteLossError, match=r"monitored metric val/loss is nan after epoch 0"):
        train(cfg)
    # The first epoch's checkpoint would have been "best" whatever its score: none was saved.
    checkpoints = Path(cfg.paths.output_dir) / "checkpoints"
    assert [path.name for path in checkpoints.iterdir()] == ["on_exception.ckpt"]
