"""Invalid answers are rejected with one clear sentence each, and leave no half-made project behind."""

import pytest
from cookiecutter.exceptions import FailedHookException

from local_extensions import TemplateSyntaxInAnswerError
from tests.conftest import bake

INVALID = [
    ({"project_slug": "My Project"}, "project_slug 'My Project' is not a valid folder name"),
    ({"project_slug": "-capstone"}, "project_slug '-capstone' is not a valid folder name"),
    ({"package_name": "torch"}, "package_name 'torch' would shadow the module"),
    ({"package_name": "lightning"}, "package_name 'lightning' would shadow the module"),
    ({"package_name": "json"}, "package_name 'json' would shadow the module"),
    ({"package_name": "tqdm"}, "package_name 'tqdm' would shadow the module"),
    ({"package_name": "class"}, "package_name 'class' is a Python keyword"),
    ({"package_name": "x" * 41}, f"package_name '{'x' * 41}' has 41 characters; keep it to 40 or fewer"),
    ({"package_name": "2048_game"}, "package_name '2048_game' is not an importable Python name"),
    ({"package_name": "my-package"}, "package_name 'my-package' is not an importable Python name"),
    ({"project_name": "2048 Game"}, "package_name '2048_game' is not an importable Python name"),
    ({"python_version": "2.7"}, "python_version '2.7' is not supported: choose one of 3.10, 3.11"),
    ({"author_email": "not-an-email"}, "author_email 'not-an-email' is not an e-mail address"),
    ({"author_email": 'a"b@example.com'}, "author_email 'a\"b@example.com' is not an e-mail address"),
    ({"version": "v1"}, "version 'v1' is not a Python package version"),
    ({"author_name": "  "}, "author_name is empty"),
    ({"project_name": " ", "project_slug": "blank-name"}, "project_name is empty"),
]


@pytest.mark.parametrize(("answers", "message"), INVALID, ids=[str(a) for a, _ in INVALID])
def test_invalid_answer_is_rejected_with_a_clear_sentence(tmp_path, capfd, answers, message):
    with pytest.raises(FailedHookException):
        bake(tmp_path, init_git="no", **answers)
    assert f"ERROR: {message}" in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing half-made is left


def test_every_problem_is_reported_at_once(tmp_path, capfd):
    with pytest.raises(FailedHookException):
        bake(tmp_path, package_name="torch", author_email="nope", python_version="3.9")
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 3


END_OF_LIFE_WARNING = (
    "WARNING: Python 3.10's end of life is October 2026 (no security fixes after it; PyTorch 2.15 and later "
    "have no wheels for it): choose python_version=3.11 or newer unless the project must run on 3.10."
)


@pytest.mark.parametrize(("python_version", "warnings"), [("3.10", [END_OF_LIFE_WARNING]), ("3.14", [])])
def test_a_python_at_its_end_of_life_is_accepted_with_a_warning(tmp_path, capfd, python_version, warnings):
    project = bake(tmp_path, init_git="no", python_version=python_version)
    assert (project / "pyproject.toml").is_file()
    assert [line for line in capfd.readouterr().err.splitlines() if line.startswith("WARNING: ")] == warnings


def test_an_unknown_choice_is_rejected_before_generation(tmp_path):
    with pytest.raises(ValueError, match="choices are"):
        bake(tmp_path, license="GPL")
    assert list(tmp_path.iterdir()) == []


HOSTILE_TEMPLATE_SYNTAX = [
    {"project_name": "Evil {{ 7*7 }}"},  # would become "Evil 49", project evil-49
    {"author_name": "{{ ''.__class__.__mro__ }}"},  # would reach into Python objects
    {"description": "A {% raw %}block"},
    {"description": "A {# comment #}"},
]


@pytest.mark.parametrize("answers", HOSTILE_TEMPLATE_SYNTAX, ids=[str(a) for a in HOSTILE_TEMPLATE_SYNTAX])
def test_template_syntax_in_an_answer_is_refused_not_evaluated(tmp_path, answers):
    (value,) = answers.values()
    with pytest.raises(TemplateSyntaxInAnswerError, match="contains template syntax") as refused:
        bake(tmp_path, init_git="no", **answers)
    assert repr(value) in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_shell_and_path_characters_stay_plain_text(tmp_path):
    description = "Runs $(touch pwned) `touch pwned`; rm -rf ~ | cat > /dev/null & 'quoted' \"double\""
    project = bake(tmp_path, init_git="no", description=description, author_name="O'Brien; $(id)")
    assert description in (project / "README.md").read_text(encoding="utf-8")
    assert not list(tmp_path.rglob("pwned")) and not (project / "pwned").exists()
    with pytest.raises(FailedHookException):
        bake(tmp_path / "traversal", init_git="no", project_slug="../escaped")
    assert not (tmp_path / "escaped").exists()
