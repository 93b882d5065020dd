"""The entry points as a user runs them, in fresh processes."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tests.conftest import run_module

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT

PACKAGE = "{{ cookiecutter.package_name }}"  # whose entry points run in subprocesses


def only_run_dir(log_dir: Path, task: str) -> Path:
    (run_dir,) = (log_dir / task / "runs").iterdir()
    return run_dir


def test_help_lists_the_config_groups_without_loading_pytorch(tmp_path):
    command = [sys.executable, "-X", "importtime", "-m", f"{PACKAGE}.train", "--help"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for group in ("data:", "model:", "trainer:", "experiment:"):
        assert group in result.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert not {"torch", "lightning"} & imported  # heavy imports wait until training starts


@pytest.mark.slow
def test_train_command_writes_metrics_and_a_record_without_secrets(tmp_path):
    command_line_key, environment_key = "fake-cli-key-8b1f2c", "fake-env-token-4d9e7a"
    result = run_module(
        "train",
        "debug=fdr",
        # An entry without _target_ is no logger: a place for a key that passes the config checks.
        f"+logger.tracking.api_key={command_line_key}",
        log_dir=tmp_path,
        env={"HF_TOKEN": environment_key},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = only_run_dir(tmp_path, "debug")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert "test/acc" in metrics["metrics"]
    assert "Test metrics" in result.stdout
    record = json.loads((run_dir / "run_record.json").read_text())
    assert record["status"] == "completed"
    assert record["metrics"]["test/acc"] == pytest.approx(metrics["metrics"]["test/acc"])
    assert "+logger.tracking.api_key=<redacted>" in record["overrides"]
    # Not in the record, the configs Hydra saved, the logs, or any other file the run wrote, anywhere.
    for path in (path for path in tmp_path.rglob("*") if path.is_file()):
        content = path.read_bytes()
        assert command_line_key.encode() not in content, path
        assert environment_key.encode() not in content, path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("experiment", "task"),
    [("digits_resnet18", "digits_resnet18"), ("tabular_breast_cancer", "tabular_breast_cancer")],
)
def test_ddp_sim_trains_with_two_cpu_processes(tmp_path, experiment, task):
    result = run_module(
        "train",
        f"experiment={experiment}",
        "global_batch_size=32",
        "trainer=ddp_sim",
        "trainer.max_epochs=1",
        "+trainer.limit_train_batches=2",
        "+trainer.limit_val_batches=1",
        "+trainer.limit_test_batches=1",
        log_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "MEMBER: 2/2" in result.stdout + result.stderr  # the second of two processes started
    assert "Global batch 32: 16 per process." in result.stdout + result.stderr
    run_dir = only_run_dir(tmp_path, task)  # one run directory, whatever the number of processes
    written = json.loads((run_dir / "metrics.json").read_text())
    assert written["metrics"]["test/acc"] is not None
    last = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["global_step"] == 2  # two training batches per process, stepped together
    if experiment.startswith("tabular"):
        # Baselines are fitted and scored by the main process alone, after the other has finished.
        assert set(written["baselines"]) == {"logistic_regression", "gradient_boosting"}


def test_a_bad_override_is_rejected_before_training(tmp_path):
    result = run_module("train", "data=no_such_dataset", log_dir=tmp_path)
    assert result.returncode != 0
    assert "Available options" in result.stderr and "digits" in result.stderr


@pytest.mark.slow
def test_a_messy_csv_trains_and_evaluates_from_the_command_line(tmp_path, customer_csv):
    # The README's command, with a target whose name needs Hydra's quotes and columns dropped by name.
    data = [
        "experiment=tabular",
        f"data.path={customer_csv}",
        "data.target='Segment (tier)'",
        "data.drop=[Customer ID,Notes]",
    ]
    short = ["trainer=cpu", "trainer.max_epochs=2", "callbacks.rich_progress_bar=null"]
    trained = run_module("train", *data, *short, log_dir=tmp_path)
    assert trained.returncode == 0, trained.stderr[-3000:]
    written = json.loads((only_run_dir(tmp_path, "tabular") / "metrics.json").read_text())
    assert set(written["baselines"]) == {"logistic_regression", "gradient_boosting"}

    evaluated = run_module(
        "eval", *data, "trainer=cpu", f"ckpt_path={written['checkpoint']}", log_dir=tmp_path
    )
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    reproduced = json.loads((only_run_dir(tmp_path, "eval") / "metrics.json").read_text())
    for name in ("test/acc", "test/f1", "test/auroc", "test/loss"):
        assert reproduced["metrics"][name] == pytest.approx(written["metrics"][name], abs=1e-6)


def wait_for(find, timeout: float = 180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := find():
            return found
        time.sleep(0.2)
    raise TimeoutError("the run did not get that far in time")


@pytest.mark.slow
def test_sigterm_saves_a_checkpoint_and_the_next_launch_resumes_from_it(tmp_path):
    # Small batches, many epochs: SIGTERM arrives while training is under way.
    run = [
        "experiment=tabular_synthetic",
        "trainer=cpu",
        "data.batch_size=8",
        "callbacks.early_stopping=null",
    ]
    run += ["callbacks.rich_progress_bar=null", f"paths.log_dir={tmp_path}"]
    command = [sys.executable, "-m", f"{PACKAGE}.train", *run, "trainer.max_epochs=1000"]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    last = wait_for(lambda: next(tmp_path.rglob("checkpoints/last.ckpt"), None))  # an epoch is done
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 143, output[-3000:]  # "terminated", not success
    assert "Stopped by SIGTERM" in output
    record = json.loads(next(tmp_path.rglob("run_record.json")).read_text())
    assert (record["status"], record["exit_code"]) == ("interrupted", 143)
    stopped = torch.load(last, map_location="cpu", weights_only=True)
    # The file is the one saved on SIGTERM, at the step training had reached.
    assert f"SIGTERM: saved {last} at step {stopped['global_step']}." in output

    resumed = run_module(
        "train", *run[:-1], f"trainer.max_epochs={stopped['epoch'] + 2}", "ckpt_path=last", log_dir=tmp_path
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"Resuming from {last}" in resumed.stdout + resumed.stderr
    assert torch.load(last, map_location="cpu", weights_only=True)["epoch"] == stopped["epoch"] + 1
