"""The shell commands a README shows, and the rule that says how a test runs each one.

Shared by this project's tests/docs/test_readme_commands.py and the template's own (which loads this file
from the template), so both READMEs are read the same way. Plain Python: no project imports.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE_MAKE = re.compile(r"`(make [a-z][a-z-]*)`")


def outside_quotes(line: str) -> list[tuple[int, str]]:
    """(index, character) of each character of `line` that is not inside single or double quotes."""
    found, quote = [], None
    for index, character in enumerate(line):
        if quote:
            quote = None if character == quote else quote
        elif character in "'\"":
            quote = character
        else:
            found.append((index, character))
    return found


def without_comment(line: str) -> str:
    for index, character in outside_quotes(line):
        if character == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line.rstrip()


def split_chain(line: str) -> list[str]:
    """`a && b` -> [a, b] (not inside quotes)."""
    cuts = [index for index, character in outside_quotes(line) if line.startswith("&&", index)]
    starts, ends = [0, *(cut + 2 for cut in cuts)], [*cuts, len(line)]
    pieces = [line[start:end] for start, end in zip(starts, ends, strict=True)]
    return [piece.strip() for piece in pieces if piece.strip()]


def shell_commands(script: str) -> list[str]:
    """The commands of a bash snippet: `\\` continuations joined, comments and blank lines dropped, `&&`
    chains split."""
    commands, pending = [], ""
    for raw in script.splitlines():
        if not pending and raw.lstrip().startswith("#"):
            continue
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical, pending = (pending + line.strip()).strip(), ""
        commands.extend(split_chain(without_comment(logical)))
    if pending:
        commands.extend(split_chain(without_comment(pending.strip())))
    return commands


def readme_commands(text: str, names: dict[str, str] | None = None) -> list[str]:
    """Every command of the ```bash blocks, then the inline `make ...` commands of the prose, each once, in
    order. `names` maps literal names to placeholders (the package name -> `<package>`, ...)."""
    commands = []
    for language, body in FENCE.findall(text):
        if language == "bash":
            commands.extend(shell_commands(body))
    commands.extend(INLINE_MAKE.findall(FENCE.sub("", text)))
    for literal, placeholder in (names or {}).items():
        # A whole name: not part of a longer one (a literal ending in `.` is followed by what it qualifies).
        ending = r"(?!\w)" if re.match(r"\w", literal[-1]) else ""
        pattern = rf"(?<![\w-]){re.escape(literal)}{ending}"
        commands = [re.sub(pattern, placeholder, command) for command in commands]
    return list(dict.fromkeys(commands))


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: str
    run: Callable[[Any, str], None]


def rule_for(command: str, rules: list[Rule], where: str) -> Rule:
    """The one rule whose pattern matches the whole command; anything else fails, naming `where` the
    rules live, so a new README command cannot go untested."""
    matches = [rule for rule in rules if re.fullmatch(rule.pattern, command)]
    assert len(matches) == 1, (
        f"{command!r} matches {[rule.kind for rule in matches] or 'no rule'}: every README command needs "
        f"exactly one way to run in {where}"
    )
    return matches[0]
