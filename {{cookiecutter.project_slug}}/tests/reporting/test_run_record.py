"""`run_record.json`: every field a reproduction needs, the run's end status, and never a secret."""

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.errors import DataError
from {{ cookiecutter.package_name }}.reporting.data_fingerprint import (
    file_fingerprint,
    folder_fingerprint,
    frame_sha256,
)
from {{ cookiecutter.package_name }}.reporting.environment import git_state
from {{ cookiecutter.package_name }}.reporting.secrets import REDACTED, SecretScrubber, is_secret_key
from {{ cookiecutter.package_name }}.train import train

RECORD_FIELDS = {
    "status",
    "task",
    "started_at",
    "ended_at",
    "duration_s",
    "seed",
    "overrides",
    "config",
    "git",
    "software",
    "hardware",
    "data",
    "metrics",
}


def read_record(cfg) -> dict:
    return json.loads((Path(cfg.paths.output_dir) / "run_record.json").read_text())


def test_a_finished_run_records_everything_needed_to_reproduce_it(make_config, tiny_run, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "fake-wandb-key-0c4d1e")
    cfg = make_config("train", *tiny_run, "seed=7", "+logger.service.password=hunter2-fake")
    metrics = train(cfg)

    record = read_record(cfg)
    assert record.keys() >= RECORD_FIELDS
    assert record["status"] == "completed"
    assert record["seed"] == 7
    assert record["duration_s"] > 0
    assert record["metrics"]["test/acc"] == pytest.approx(metrics["test/acc"])
    assert record["config"]["model"]["optimizer"]["lr"] == cfg.model.optimizer.lr
    assert "seed=7" in record["overrides"]
    assert {"python", "torch", "cuda", "packages"} <= record["software"].keys()
    assert record["software"]["packages"]["torch"]
    assert {"cpu", "cpu_count", "gpu_count", "gpus"} <= record["hardware"].keys()
    assert record["data"]["dataset"] == "scikit-learn digits"
    assert record["data"]["samples"] == 1797
    # The secret from the command line is masked where it is a value and wherever else it appears.
    assert record["config"]["logger"]["service"]["password"] == REDACTED
    assert "+logger.service.password=<redacted>" in record["overrides"]
    text = json.dumps(record)
    assert "hunter2-fake" not in text
    assert "fake-wandb-key-0c4d1e" not in text


def test_a_run_that_fails_records_the_failure_and_its_traceback(make_config, tiny_run, tmp_path):
    cfg = make_config(
        "train", *tiny_run, "data=tabular", f"data.path={tmp_path / 'absent.csv'}", "data.target=y"
    )
    with pytest.raises(DataError):
        train(cfg)
    record = read_record(cfg)
    assert record["status"] == "failed"
    assert "DataError: data.path=" in record["error"]
    assert "absent.csv" in record["error"]
    assert record["ended_at"] is not None


def run_git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


def test_git_state_has_the_commit_and_a_patch_of_uncommitted_changes(tmp_path):
    run_git(tmp_path, "init", "--quiet")
    (tmp_path / "train.py").write_text("lr = 0.1\n")
    run_git(tmp_path, "add", "train.py")
    run_git(tmp_path, "commit", "--quiet", "-m", "first")
    clean = git_state(tmp_path)
    assert len(clean["commit"]) == 40
    assert clean["dirty"] is False

    (tmp_path / "train.py").write_text("lr = 0.01\n")
    (tmp_path / "notes.txt").write_text("new\n")
    dirty = git_state(tmp_path)
    assert dirty["commit"] == clean["commit"]
    assert dirty["dirty"] is True
    assert "-lr = 0.1\n+lr = 0.01" in dirty["patch"]
    assert dirty["untracked_files"] == ["notes.txt"]


def test_git_state_outside_a_repository_says_so(tmp_path):
    state = git_state(tmp_path)
    assert state["commit"] is None
    assert "not a git repository" in state["note"]


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("api_key", True),
        ("WANDB_API_KEY", True),
        ("+logger.wandb.api_key", True),
        ("HF_TOKEN", True),
        ("db.password", True),
        ("aws_secret_access_key", True),
        ("max_tokens", False),
        ("tokenizer", False),
        ("lr", False),
    ],
)
def test_secret_keys_are_recognised_by_their_last_word(key, secret):
    assert is_secret_key(key) is secret


def test_the_scrubber_masks_secret_values_everywhere_and_keeps_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_SERVICE_TOKEN", "env-secret-value")
    fake_key = "cfg-secret-value"  # pragma: allowlist secret
    config = {"logger": {"api_key": fake_key, "project": "demo"}, "lr": 0.1}
    scrubber = SecretScrubber.for_config([config, ["+logger.api_key=cfg-secret-value", "lr=0.1"]])

    assert scrubber.data(config) == {"logger": {"api_key": REDACTED, "project": "demo"}, "lr": 0.1}
    assert scrubber.text("key cfg-secret-value and env-secret-value") == f"key {REDACTED} and {REDACTED}"
    saved = tmp_path / ".hydra" / "overrides.yaml"
    saved.parent.mkdir()
    saved.write_text("- +logger.api_key=cfg-secret-value\n- lr=0.1\n")
    scrubber.scrub_hydra_outputs(tmp_path)
    assert saved.read_text() == f"- +logger.api_key={REDACTED}\n- lr=0.1\n"


def test_data_fingerprints_change_exactly_when_the_data_changes(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n")
    first = file_fingerprint(table)
    assert file_fingerprint(table) == first
    table.write_text("a,b\n1,3\n")
    assert file_fingerprint(table)["sha256"] != first["sha256"]

    (tmp_path / "images" / "cat").mkdir(parents=True)
    (tmp_path / "images" / "cat" / "1.png").write_bytes(b"one")
    folder = folder_fingerprint(tmp_path / "images")
    assert (folder["files"], folder["bytes"], folder["hashed"]) == (1, 3, "contents")
    (tmp_path / "images" / "cat" / "1.png").rename(tmp_path / "images" / "cat" / "2.png")
    assert folder_fingerprint(tmp_path / "images")["sha256"] != folder["sha256"]  # names count too

    frame = pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]})
    assert frame_sha256(frame) == frame_sha256(frame.copy())
    assert frame_sha256(frame) != frame_sha256(frame.iloc[::-1])
    assert frame_sha256(frame) != frame_sha256(frame.rename(columns={"x": "z"}))


def test_short_secrets_are_redacted_wherever_their_key_is_assigned(tmp_path):
    scrubber = SecretScrubber.for_config({"db": {"password": "abc12"}})  # too short to mask as free text
    assert scrubber.data(["+db.password=abc12", "lr=0.1"]) == [f"+db.password={REDACTED}", "lr=0.1"]
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_text(
        "db:\n  password: abc12\n  host: local\noverride_dirname: +db.password=abc12,debug=fdr\n"
    )
    scrubber.scrub_hydra_outputs(tmp_path / "run", sweep_dir=sweep)
    assert (sweep / "multirun.yaml").read_text() == (
        f"db:\n  password: {REDACTED}\n  host: local\noverride_dirname: +db.password={REDACTED},debug=fdr\n"
    )


def test_new_files_not_yet_in_git_are_in_the_patch(tmp_path):
    run_git(tmp_path, "init", "--quiet")
    assert git_state(tmp_path)["note"].startswith("a git repository without commits")
    (tmp_path / "train.py").write_text("lr = 0.1\n")
    run_git(tmp_path, "add", "train.py")
    run_git(tmp_path, "commit", "--quiet", "-m", "first")
    (tmp_path / "features.py").write_text("def add_ratio(frame):\n    return frame\n")
    (tmp_path / "big.csv").write_text("x\n" * 100_000)  # data, not code: listed only
    state = git_state(tmp_path)
    assert "+def add_ratio(frame):" in state["patch"]
    assert "big.csv" in state["untracked_files"] and "big.csv" not in state["patch"]


def test_a_pruned_sweep_trial_is_recorded_as_pruned_not_failed(make_config):
    from optuna import TrialPruned

    from {{ cookiecutter.package_name }}.reporting.run_record import recorded_run

    cfg = make_config("train")
    with pytest.raises(TrialPruned), recorded_run(cfg):
        raise TrialPruned("worse than the median at epoch 3")
    assert read_record(cfg)["status"] == "pruned"


def test_report_settings_out_of_range_are_refused_before_training(make_config, tiny_run):
    cfg = make_config("train", *tiny_run, "report.confidence_level=95", "explain.images=0")
    with pytest.raises(ValueError, match=r"confidence_level=95 must lie between 0 and 1.*explain.images=0"):
        train(cfg)
    assert not (Path(cfg.paths.output_dir) / "checkpoints").exists()
