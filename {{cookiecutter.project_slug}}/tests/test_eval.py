"""Evaluating a saved checkpoint."""

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.errors import CheckpointError
from {{ cookiecutter.package_name }}.eval import evaluate
from {{ cookiecutter.package_name }}.train import train


def train_tiny_run(make_config, tiny_run) -> Path:
    """Train briefly; returns the run directory."""
    cfg = make_config("train", *tiny_run)
    train(cfg)
    return Path(cfg.paths.output_dir)


@pytest.fixture
def trained_checkpoint(make_config, tiny_run) -> Path:
    return train_tiny_run(make_config, tiny_run) / "checkpoints" / "last.ckpt"


def test_eval_reproduces_the_test_metrics_of_training(make_config, tiny_run, lightning_messages):
    run_dir = train_tiny_run(make_config, tiny_run)
    trained = json.loads((run_dir / "metrics.json").read_text())
    cfg = make_config(
        "eval", f"ckpt_path={trained['checkpoint']}", "trainer=cpu", "+trainer.limit_test_batches=1"
    )
    metrics = evaluate(cfg)
    assert metrics["test/acc"] == pytest.approx(trained["metrics"]["test/acc"])
    assert metrics["test/loss"] == pytest.approx(trained["metrics"]["test/loss"], rel=1e-5)
    written = json.loads((Path(cfg.paths.output_dir) / "metrics.json").read_text())
    assert written["checkpoint"] == trained["checkpoint"]
    assert not [record for record in lightning_messages if "Tip" in str(record.msg)]  # no advertisement


def test_eval_with_last_takes_the_newest_run(make_config, tiny_run):
    train_tiny_run(make_config, tiny_run)
    newest = train_tiny_run(make_config, tiny_run) / "checkpoints" / "last.ckpt"
    cfg = make_config("eval", "ckpt_path=last", "trainer=cpu", "+trainer.limit_test_batches=1")
    evaluate(cfg)
    written = json.loads((Path(cfg.paths.output_dir) / "metrics.json").read_text())
    assert written["checkpoint"] == str(newest)


def test_eval_without_a_checkpoint_says_how_to_pass_one(make_config):
    with pytest.raises(ValueError, match="eval needs a checkpoint: pass ckpt_path="):
        evaluate(make_config("eval"))


def test_eval_on_data_with_other_classes_is_an_error(make_config, trained_checkpoint):
    cfg = make_config("eval", f"ckpt_path={trained_checkpoint}", "data.classes=[0,1,2]")
    with pytest.raises(
        CheckpointError, match=r"trained on classes \['0', '1', .*'9'\], but the data has \['0', '1', '2'\]"
    ):
        evaluate(cfg)
