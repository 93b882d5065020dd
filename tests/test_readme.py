"""The template README's options table is the one rendered from cookiecutter.json (`make docs`)."""

import json
import subprocess
import sys

import pytest

from scripts.options_table import BEGIN, END, README, readme_table, render_table, write_readme_table
from tests.conftest import TEMPLATE_DIR


def test_readme_options_table_is_rendered_from_cookiecutter_json():
    assert readme_table(README.read_text(encoding="utf-8")) == render_table(), (
        "README.md's options table differs from cookiecutter.json: run `make docs` and commit README.md"
    )


def test_rendered_table_has_every_prompt_default_and_choice():
    context = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    rows = {line.split("|")[1].strip(): line for line in render_table().splitlines()[2:]}
    assert list(rows) == [f"`{key}`" for key in context if not key.startswith("_")]
    for key, value in context.items():
        # A choice: the first is the default, and each has its prompt text.
        if isinstance(value, list) and not key.startswith("_"):
            assert f"| `{value[0]}` |" in rows[f"`{key}`"], key
            for choice in value:
                assert f"`{choice}`: {context['__prompts__'][key][choice]}" in rows[f"`{key}`"], key
    # Computed answers show the value a user gets, not the Jinja expression.
    assert "| `capstone-project`, from `project_name` |" in rows["`project_slug`"]


def test_an_option_without_prompt_text_is_an_error(tmp_path):
    context = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    context["dropout"] = ["0.1", "0.5"]
    context_file = tmp_path / "cookiecutter.json"
    context_file.write_text(json.dumps(context))
    with pytest.raises(ValueError, match="__prompts__ entry for 'dropout'"):
        render_table(context_file)


def test_make_docs_rewrites_only_the_table(tmp_path):
    stale = tmp_path / "README.md"
    stale.write_text(f"# Title\n\n{BEGIN}\n| an old table |\n{END}\n\nText after.\n", encoding="utf-8")
    assert write_readme_table(stale)
    assert stale.read_text(encoding="utf-8") == f"# Title\n\n{BEGIN}\n{render_table()}{END}\n\nText after.\n"
    assert not write_readme_table(stale)  # a second run changes nothing


def test_the_script_runs_as_make_docs_runs_it():
    """From the command line, where Python looks for imports in scripts/, not in the template folder."""
    script = TEMPLATE_DIR / "scripts" / "options_table.py"
    checked = subprocess.run(
        [sys.executable, str(script), "--check"], cwd=TEMPLATE_DIR, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "options table up to date" in checked.stdout
