"""Render the README's options table from cookiecutter.json, so that the two cannot drift apart.

`make docs` (or `python scripts/options_table.py`) rewrites the table between the two marker comments in
README.md; `--check` only says whether it is current (exit code 1 if not). tests/test_readme.py fails when
the README holds anything else there.
"""

import re
import sys
from pathlib import Path

from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
# cookiecutter.json names a Jinja extension of the template's own (local_extensions.py), which cookiecutter
# imports from the template folder when it generates; run as a script, this file's folder is scripts/.
sys.path.insert(0, str(TEMPLATE_DIR))
README = TEMPLATE_DIR / "README.md"
BEGIN = "<!-- options-table:begin (generated from cookiecutter.json by `make docs`: edit that, not this) -->"
END = "<!-- options-table:end -->"


def cell(text: str) -> str:
    """A Markdown table cell: a `|` inside it would start a new column."""
    return text.replace("|", "\\|")


def render_table(context_file: Path = TEMPLATE_DIR / "cookiecutter.json") -> str:
    """The options table: one row per prompt, with its question, default and choices."""
    context = generate_context(context_file=str(context_file))
    raw = context["cookiecutter"]
    prompts = raw.get("__prompts__", {})
    # The defaults a user gets with --no-input, computed ones included, rendered the way cookiecutter does.
    defaults = prompt_for_config(context, no_input=True)
    rows = ["| option | question | default | answers |", "|---|---|---|---|"]
    for key, value in raw.items():
        if key.startswith("_"):
            continue
        if key not in prompts:
            raise ValueError(
                f"cookiecutter.json: add a __prompts__ entry for '{key}' (it is the README's text)."
            )
        prompt = prompts[key]
        if isinstance(value, list):
            question = prompt["__prompt__"]
            missing = [choice for choice in value if choice not in prompt]
            if missing:
                raise ValueError(
                    f"cookiecutter.json: __prompts__.{key} has no text for {', '.join(missing)}."
                )
            answers = "; ".join(f"`{choice}`: {prompt[choice]}" for choice in value)
        else:
            question = prompt
            answers = "free text"
        default = f"`{defaults[key]}`"
        if isinstance(value, str) and "{{" in value:  # computed from earlier answers
            sources = ", ".join(
                f"`{name}`" for name in dict.fromkeys(re.findall(r"cookiecutter\.(\w+)", value))
            )
            default += f", from {sources}"
        rows.append(f"| `{key}` | {cell(question)} | {cell(default)} | {cell(answers)} |")
    return "\n".join(rows) + "\n"


def readme_table(readme_text: str) -> str:
    """What the README holds between the markers."""
    if readme_text.count(BEGIN) != 1 or readme_text.count(END) != 1:
        raise ValueError(f"README.md must hold the options-table markers once each:\n{BEGIN}\n{END}")
    return readme_text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def write_readme_table(readme: Path = README) -> bool:
    """Replace the README's table with the rendered one; returns whether the file changed."""
    text = readme.read_text(encoding="utf-8")
    readme_table(text)  # the markers are there, once each
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    updated = f"{before}{BEGIN}\n{render_table()}{END}{after}"
    readme.write_text(updated, encoding="utf-8")
    return updated != text


if __name__ == "__main__":
    if "--check" in sys.argv:
        current = readme_table(README.read_text(encoding="utf-8")) == render_table()
        print("README.md: options table " + ("up to date" if current else "stale: run make docs"))
        sys.exit(0 if current else 1)
    changed = write_readme_table()
    print(
        "README.md: options table "
        + ("rewritten from cookiecutter.json" if changed else "already up to date")
    )
