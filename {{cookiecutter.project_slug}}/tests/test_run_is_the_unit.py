"""A run knows how it was made: eval and explain need only its checkpoint (or its directory), and take the
data and model options from its run record (reporting/run_configuration.py)."""

import json
import shutil
from pathlib import Path

import pytest
from tests.conftest import write_customer_table

from {{ cookiecutter.package_name }}.config import compose_run_config
from {{ cookiecutter.package_name }}.errors import CheckpointError
from {{ cookiecutter.package_name }}.eval import evaluate
from {{ cookiecutter.package_name }}.explain import explain

TEST_LIMIT = ["trainer=cpu", "+trainer.limit_test_batches=1"]


def run_record(cfg) -> dict:
    return json.loads((Path(cfg.paths.output_dir) / "run_record.json").read_text())


def test_eval_of_a_run_directory_reproduces_its_test_metrics_exactly(table_run, tmp_path):
    trained = json.loads((table_run / "metrics.json").read_text())
    cfg = compose_run_config("eval", [f"ckpt_path={table_run}", *TEST_LIMIT], tmp_path / "logs")
    metrics = evaluate(cfg)
    assert {name: metrics[name] for name in trained["metrics"]} == trained["metrics"]
    record = run_record(cfg)
    assert record["configured_from_run"]["run"] == str(table_run)
    assert record["configured_from_run"]["data"] == record["configured_from_run"]["model"] == "the run"
    assert record["config"]["data"]["drop"] == ["Notes", "Customer ID"]


def test_explain_needs_only_the_run(table_run, tmp_path):
    limits = ["explain.samples=10", "explain.background=5", "explain.permutation_repeats=1"]
    files = explain(compose_run_config("explain", [f"ckpt_path={table_run}", *limits], tmp_path / "logs"))
    shap_values = next(path for path in files.values() if path.name == "shap_values.csv")
    assert "Spend ($)" in shap_values.read_text().splitlines()[0]


def test_options_given_on_the_command_line_still_win(table_run, tmp_path):
    other_table = write_customer_table(tmp_path / "next_year.csv", seed=1)
    cfg = compose_run_config(
        "eval", [f"ckpt_path={table_run}", f"data.path={other_table}", *TEST_LIMIT], tmp_path / "logs"
    )
    evaluate(cfg)
    record = run_record(cfg)
    assert record["config"]["data"]["path"] == str(other_table)
    assert record["config"]["data"]["drop"] == ["Notes", "Customer ID"]  # the rest is still the run's
    assert record["configured_from_run"]["data"] == f"the run, then data.path={other_table}"


def test_a_checkpoint_out_of_its_run_is_loaded_with_the_options_given(table_run, tmp_path):
    copied = shutil.copyfile(table_run / "checkpoints" / "last.ckpt", tmp_path / "downloaded.ckpt")
    with pytest.raises(CheckpointError, match="cannot be loaded as ImageClassifier .*configure the model"):
        evaluate(compose_run_config("eval", [f"ckpt_path={copied}", *TEST_LIMIT], tmp_path / "logs"))
