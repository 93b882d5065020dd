"""The template README's options table says what cookiecutter.json does: same prompts, defaults, choices."""

import json
import re

from tests.conftest import TEMPLATE_DIR

CONTEXT = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
PROMPTS = [key for key in CONTEXT if not key.startswith("_")]


def options_table() -> dict[str, tuple[str, str]]:
    """{prompt: (default cell, choices cell)} from the README's "## Options" table."""
    readme = (TEMPLATE_DIR / "README.md").read_text()
    section = readme.split("## Options", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            for key in re.findall(r"`([a-z_]+)`", cells[0]):
                rows[key] = (cells[1], cells[2])
    return rows


def test_every_prompt_has_a_row_and_every_row_a_prompt():
    assert sorted(options_table()) == sorted(PROMPTS)


def test_defaults_and_choices_match_cookiecutter_json():
    table = options_table()
    for key in PROMPTS:
        default_cell, choices_cell = table[key]
        value = CONTEXT[key]
        if isinstance(value, list):  # a choice: the first one is the default
            assert f"`{value[0]}`" in default_cell, key
            assert all(f"`{choice}`" in choices_cell for choice in value), key
        elif "{{" in value:  # computed from earlier answers
            assert default_cell.startswith("derived"), key
        else:
            assert f"`{value}`" in default_cell, key
