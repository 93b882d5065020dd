"""Every error a user can cause ends the command with one `Error: <what is wrong>. <how to fix it>.` block
and the documented exit code of its kind, without a traceback; a bug keeps its traceback (cli.py,
errors.py)."""

import importlib
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from tests.conftest import PROJECT_ROOT, run_module

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


def run_in_process(verb: str, *overrides: str, monkeypatch, capsys) -> tuple[int, str]:
    """`python -m <package>.<verb> <overrides>` in this process: (exit code, what it wrote to stderr)."""
    monkeypatch.setattr(sys, "argv", [verb, *overrides])
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)  # would show tracebacks on purpose
    main = importlib.import_module(f"{{ cookiecutter.package_name }}.{verb}").main
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:  # Hydra's logging set-up writes to this test's captured streams: put the one before back
        for handler in set(root.handlers) - set(handlers):
            handler.close()
        root.handlers[:], root.level = handlers, level
    return exited.value.code, capsys.readouterr().err


def assert_one_message(stderr: str, *fragments: str) -> None:
    """One `Error: ...` block ends stderr (after the log lines before it, if any), and nothing else errs."""
    assert stderr.count("Error: ") == 1, stderr
    assert "Traceback" not in stderr and "Error executing job" not in stderr, stderr
    message = stderr[stderr.index("Error: ") :]
    for fragment in fragments:
        assert fragment in message, stderr


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
        ("export", ["ckpt_path={checkpoint}", "output_dir={full}"], OutputError, "is not empty"),
        ("export", ["ckpt_path={checkpoint}", "export.parity_examples=many"], ConfigError, "parity_examples"),
        ("serve", [], ConfigError, "serve needs model_dir"),
        ("serve", ["model_dir={tmp}"], CheckpointError, "is not a model bundle"),
        ("predict", ["model_dir={tmp}", "input=x.csv", "output=x.txt"], ConfigError, "write predictions to"),
    ],
)
def test_a_user_error_is_one_message_with_the_exit_code_of_its_kind(
    verb, overrides, kind, fragment, tabular_checkpoint, tmp_path, monkeypatch, capsys
):
    (tmp_path / "empty.csv").write_text("a,b\n")
    (tmp_path / "a_file").write_text("not a folder")
    (tmp_path / "full" / "old").mkdir(parents=True)
    places = {
        "tmp": tmp_path,
        "empty_csv": tmp_path / "empty.csv",
        "images": write_bad_image_folder(tmp_path / "images"),
        "a_file": tmp_path / "a_file",
        "full": tmp_path / "full",
        "checkpoint": tabular_checkpoint,
    }
    arguments = [argument.format(**places) for argument in overrides]
    if not any(argument.startswith("paths.log_dir=") for argument in arguments):
        arguments.append(f"paths.log_dir={tmp_path / 'logs'}")
    code, stderr = run_in_process(verb, *arguments, monkeypatch=monkeypatch, capsys=capsys)
    assert code == kind.exit_code, stderr
    assert_one_message(stderr, fragment)


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
