"""Evaluating a saved checkpoint."""

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.eval import evaluate
from {{ cookiecutter.package_name }}.train import train


@pytest.fixture
def trained_checkpoint(make_config, tiny_run) -> Path:
    cfg = make_config("train", *tiny_run)
    train(cfg)
    return Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt"


def test_eval_reproduces_the_test_metrics_of_a_checkpoint(make_config, trained_checkpoint):
    cfg = make_config(
        "eval", f"ckpt_path={trained_checkpoint}", "trainer=cpu", "+trainer.limit_test_batches=1"
    )
    metrics = evaluate(cfg)
    written = json.loads((Path(cfg.paths.output_dir) / "metrics.json").read_text())
    assert written["checkpoint"] == str(trained_checkpoint)
    assert written["metrics"]["test/acc"] == pytest.approx(metrics["test/acc"])


def test_eval_finds_the_newest_checkpoint_with_last(make_config, trained_checkpoint):
    cfg = make_config("eval", "ckpt_path=last", "trainer=cpu", "+trainer.limit_test_batches=1")
    evaluate(cfg)
    written = json.loads((Path(cfg.paths.output_dir) / "metrics.json").read_text())
    assert written["checkpoint"] == str(trained_checkpoint)


def test_eval_on_data_with_other_classes_is_an_error(make_config, trained_checkpoint):
    cfg = make_config("eval", f"ckpt_path={trained_checkpoint}", "data.classes=[0,1,2]")
    with pytest.raises(
        ValueError, match=r"trained on classes \['0', '1', .*'9'\], but the data has \['0', '1', '2'\]"
    ):
        evaluate(cfg)
