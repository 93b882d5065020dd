"""Every error a user can cause ends the command with one `Error: <what is wrong>. <how to fix it>.` block
and the documented exit code of its kind, without a traceback; a bug keeps its traceback (cli.py,
errors.py)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from tests.conftest import PROJECT_ROOT, assert_one_message, assert_user_error, run_in_process, run_module

from {{ cookiecutter.package_name }} import errors
from {{ cookiecutter.package_name }}.callbacks.preemption_checkpoint import INTERRUPTED_EXIT_CODE
from {{ cookiecutter.package_name }}.errors import (
    CheckpointError,
    ConfigError,
    DataError,
    OutputError,
    UserError,
)

FAST = ["debug=fdr", "trainer=cpu", "explain.after_training=false"]


def write_bad_image_folder(root: Path) -> Path:
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for number in range(4):
            Image.new("RGB", (16, 16), name == "cat" and "red" or "blue").save(root / name / f"{number}.png")
    (root / "dog" / "page.jpg").write_text("<html>Not found</html>")
    return root


def test_the_kinds_have_the_exit_codes_the_readme_documents():
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("exit code of its kind:")[1]
    documented = {int(code): kind for code, kind in re.findall(r"^\| (\d+) \| `?(\w+)", table, re.MULTILINE)}
    classes = [kind for kind in vars(errors).values() if isinstance(kind, type) and kind is not UserError]
    kinds = {kind.exit_code: kind.__name__ for kind in classes}
    assert len(kinds) == len(classes)  # a code of its own for each kind
    assert documented == {
        0: "success",
        errors.BUG_EXIT_CODE: "bug",
        **kinds,
        INTERRUPTED_EXIT_CODE: "interrupted",
    }


@pytest.mark.parametrize(
    ("verb", "overrides", "kind", "fragment"),
    [
        ("train", [*FAST, "trainer.max_epochs=ten"], ConfigError, "trainer.max_epochs"),
        ("train", [*FAST, "trainer.max_epoch=3"], ConfigError, "+trainer.max_epoch=3"),
        ("train", [*FAST, "model=resnet19"], ConfigError, "Available options in 'model'"),
        (
            "train",
            [*FAST, "experiment=tabular", "data.path={tmp}/no.csv", "data.target=b"],
            DataError,
            "no.csv cannot be read",
        ),
        (
            "train",
            [*FAST, "experiment=tabular", "data.path={empty_csv}", "data.target=b"],
            DataError,
            "holds no rows",
        ),
        ("train", [*FAST, "data=image_folder", "data.data_dir={images}"], DataError, "1 image file in"),
        ("train", [*FAST, "paths.log_dir={a_file}/logs"], OutputError, "Cannot write into"),
        ("eval", ["ckpt_path={tmp}/no.ckpt"], CheckpointError, "no.ckpt does not exist"),
        ("explain", [], ConfigError, "explain needs a checkpoint"),
    ],
)
def test_a_user_error_is_one_message_with_the_exit_code_of_its_kind(
    verb, overrides, kind, fragment, tmp_path, monkeypatch, capsys
):
    (tmp_path / "empty.csv").write_text("a,b\n")
    (tmp_path / "a_file").write_text("not a folder")
    places = {
        "tmp": tmp_path,
        "empty_csv": tmp_path / "empty.csv",
        "images": write_bad_image_folder(tmp_path / "images"),
        "a_file": tmp_path / "a_file",
    }
    arguments = [argument.format(**places) for argument in overrides]
    assert_user_error(verb, arguments, kind, fragment, tmp_path, monkeypatch, capsys)


def test_a_mismatched_run_is_refused_naming_both_models(tabular_checkpoint, tmp_path, monkeypatch, capsys):
    overrides = [f"ckpt_path={tabular_checkpoint}", "model=resnet18", f"paths.log_dir={tmp_path}"]
    code, stderr = run_in_process("eval", *overrides, monkeypatch=monkeypatch, capsys=capsys)
    assert code == CheckpointError.exit_code
    assert_one_message(
        stderr, "holds a TabularMLP model", "configures ImageClassifier", "drop the model option"
    )


def train_on_a_missing_table(
    tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    table = ["experiment=tabular", f"data.path={tmp_path}/no.csv", "data.target=b"]
    return run_module("train", *FAST, *table, log_dir=tmp_path, env={"HYDRA_FULL_ERROR": "", **(env or {})})


@pytest.mark.slow
def test_a_user_error_in_a_fresh_process_prints_no_traceback(tmp_path):
    result = train_on_a_missing_table(tmp_path)
    assert result.returncode == DataError.exit_code
    assert_one_message(result.stderr, f"data.path={tmp_path}/no.csv cannot be read")


@pytest.mark.slow
def test_hydra_full_error_shows_the_traceback_of_a_user_error(tmp_path):
    result = train_on_a_missing_table(tmp_path, env={"HYDRA_FULL_ERROR": "1"})
    assert result.returncode == errors.BUG_EXIT_CODE
    assert "Traceback" in result.stderr and "DataError" in result.stderr


@pytest.mark.slow
def test_a_bug_keeps_its_traceback(tmp_path):
    # faults/bug.py: a callback whose hook raises an exception no user caused.
    bug = "+callbacks.bug._target_=bug.BugAtFitStart"
    faults = os.pathsep.join([str(Path(__file__).parent / "faults"), os.environ.get("PYTHONPATH", "")])
    result = run_module("train", *FAST, bug, log_dir=tmp_path, env={"PYTHONPATH": faults})
    assert result.returncode == errors.BUG_EXIT_CODE
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: a bug in a callback" in result.stderr
    assert not result.stderr.startswith("Error: ")


def test_the_exit_code_of_a_command_line_hydra_refuses_is_the_usage_code():
    train = f"{errors.__package__}.train"
    command = [sys.executable, "-m", train, "trainer.max_epoch=3", "--cfg", "job"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == ConfigError.exit_code
    assert_one_message(result.stderr, "Key 'max_epoch' is not in struct")
