"""Fault: an exception in the middle of training (a bug). The state at that moment is saved as
on_exception.ckpt, the good checkpoints stay as they were, the run record holds the traceback, and the
logger's files are complete up to the failure."""

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from {{ cookiecutter.package_name }}.models.image_classifier import ImageClassifier
from {{ cookiecutter.package_name }}.train import train


def test_an_exception_during_fit_leaves_a_checkpoint_and_the_traceback(make_config, tiny_run, monkeypatch):
    original_step = ImageClassifier.training_step

    def step_with_a_bug(self, batch, batch_idx):
        if (self.current_epoch, batch_idx) == (1, 1):
            raise RuntimeError("a bug in the training step")
        return original_step(self, batch, batch_idx)

    monkeypatch.setattr(ImageClassifier, "training_step", step_with_a_bug)
    run = ["trainer.max_epochs=2", "trainer.limit_train_batches=3", "explain.after_training=false"]
    cfg = make_config("train", *tiny_run, *run, "logger=csv")  # whatever the project's default logger
    with pytest.raises(RuntimeError, match="a bug in the training step"):
        train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    at_failure = torch.load(run_dir / "checkpoints" / "on_exception.ckpt", weights_only=True)
    assert (at_failure["epoch"], at_failure["global_step"]) == (1, 4)  # epoch 1, after its first step
    assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["epoch"] == 0
    record = json.loads((run_dir / "run_record.json").read_text())
    assert record["status"] == "failed" and "RuntimeError: a bug in the training step" in record["error"]
    (logged,) = run_dir.rglob("metrics.csv")  # the CSV logger's file, flushed before the run failed
    assert pd.read_csv(logged)["epoch"].max() >= 0 and "val/acc" in pd.read_csv(logged).columns
