"""Export, predict and serve end a user's mistake like every command: one message and the exit code of its
kind (tests/test_errors.py checks the other commands, and the codes against the README)."""

import pytest
from tests.conftest import assert_user_error

from {{ cookiecutter.package_name }}.errors import CheckpointError, ConfigError, OutputError


@pytest.mark.parametrize(
    ("verb", "overrides", "kind", "fragment"),
    [
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
    (tmp_path / "full" / "old").mkdir(parents=True)
    places = {"tmp": tmp_path, "full": tmp_path / "full", "checkpoint": tabular_checkpoint}
    arguments = [argument.format(**places) for argument in overrides]
    assert_user_error(verb, arguments, kind, fragment, tmp_path, monkeypatch, capsys)
