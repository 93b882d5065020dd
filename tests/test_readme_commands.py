"""Every command of the README's ```bash blocks (and its inline `make ...` commands) is exercised here, so the
README cannot rot.

Each command must match exactly one of RULES; a command no rule knows fails
`test_every_readme_command_has_exactly_one_rule`. How each kind runs:

- `cruft create <url> [--checkout v0.1.0]` and `cookiecutter gh:org/... --no-input <answers>`: against this
  checkout instead of the URL (committed and tagged v0.1.0 by tests/test_cruft.py's `template_repo`), in a
  temporary folder with no user git or cookiecutter settings; the prompts get their defaults (`--no-input`).
- `git add`/`git commit` and `cruft check|diff|update`: in the project made by `cruft create --checkout
  v0.1.0`, in README order, after a later release v0.2.0 of the template (so `cruft check` exits 1, as the
  README says, and `cruft update -y` has something to apply). `cruft update -y --checkout v0.2.0`, the
  README's alternative to `cruft update -y`, runs in a copy of the project as it was before the update.
- `pip install cruft|cookiecutter`: the package is pinned in requirements/template-dev.txt and installed.
- `make <target>`: `make -n` in this checkout when the template's Makefile has the target (demo, test, ... run
  for real in CI), and each recipe line that calls the generated package must be a command of the generated
  project's README; a target the template lacks must be a command of the generated project's README.
- Commands run in the generated project (`python -m <package>...`, `source .venv/bin/activate`): each must
  be a command of the generated project's README, whose own tests/test_readme_commands.py runs it.
"""

import importlib.metadata
import importlib.util
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import test_cruft
from tests.conftest import ENV_BIN, TEMPLATE_DIR, bake

README = TEMPLATE_DIR / "README.md"
# The URL the README uses for wherever the template lives; the local checkout stands in for it.
TEMPLATE_URL = "https://github.com/org/capstone-template"
GIT_USER = {
    "GIT_AUTHOR_NAME": "README Reader",
    "GIT_AUTHOR_EMAIL": "reader@example.com",
    "GIT_COMMITTER_NAME": "README Reader",
    "GIT_COMMITTER_EMAIL": "reader@example.com",
}
# Fixtures shared with tests/test_cruft.py: an isolated environment and this checkout tagged v0.1.0.
env = test_cruft.env
template_repo = test_cruft.template_repo


# The generated project's README reader (plain Python, loaded from the template as it is).
_spec = importlib.util.spec_from_file_location(
    "readme_commands",
    TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "tests" / "docs" / "readme_commands.py",
)
extract = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(extract)
Rule = extract.Rule

COMMANDS = extract.readme_commands(README.read_text(encoding="utf-8"))


# --- Where the commands run ------------------------------------------------------------------------------


@dataclass
class Workspace:
    root: Path
    env: dict[str, str]
    template_repo: Path
    done: set[str] = field(default_factory=set)
    released: bool = False
    _generated: list[str] | None = None

    @property
    def cruft_project(self) -> Path:
        """The project of `cruft create <url> --checkout v0.1.0` (made by that README command)."""
        self.run(next(c for c in COMMANDS if c.startswith("cruft create") and "--checkout" in c))
        return self.root / "checkout" / "capstone-project"

    def generated_commands(self) -> list[str]:
        """The commands of the README of a project generated with the default answers."""
        if self._generated is None:
            project = bake(self.root / "generated", init_git="no")
            package = project.name.replace("-", "_")
            text = (project / "README.md").read_text(encoding="utf-8")
            self._generated = extract.readme_commands(text, {package: "<package>"})
        return self._generated

    def release(self) -> None:
        """A later template release, v0.2.0, for `cruft check` to notice and `cruft update` to apply; and a
        copy of the project as it is then, for the README's alternative update."""
        if not self.released:
            shutil.copytree(
                self.cruft_project, self.cruft_project.with_name("alternative-update"), symlinks=True
            )
            gitignore = self.template_repo / "{{cookiecutter.project_slug}}" / ".gitignore"
            gitignore.write_text("/release-0.2.0-notes/\n" + gitignore.read_text())
            test_cruft.git(self.template_repo, "commit", "--quiet", "--all", "-m", "v0.2.0", env=self.env)
            test_cruft.git(self.template_repo, "tag", "v0.2.0", env=self.env)
            self.released = True

    def run(self, command: str) -> None:
        if command not in self.done:
            rule_for(command).run(self, command)
            self.done.add(command)


def shell(cwd: Path, command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The command as a shell runs it (cruft and cookiecutter from this environment), as a git user."""
    words = shlex.split(command)
    if words[0] in ("cruft", "cookiecutter"):
        words[0] = str(ENV_BIN / words[0])
    return subprocess.run(
        words,
        cwd=cwd,
        env={**env, **GIT_USER},
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, env, template_repo) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("readme"), env, template_repo)


# --- How each kind of command runs -----------------------------------------------------------------------


def check_pip_install(workspace: Workspace, command: str) -> None:
    (name,) = shlex.split(command)[2:]
    pinned = (TEMPLATE_DIR / "requirements" / "template-dev.txt").read_text(encoding="utf-8")
    assert re.search(rf"^{name}\b", pinned, re.MULTILINE), f"{name} is not in requirements/template-dev.txt"
    assert importlib.metadata.version(name)


def cruft_create(workspace: Workspace, command: str) -> None:
    words = shlex.split(command)
    checkout = words[words.index("--checkout") + 1] if "--checkout" in words else None
    output = workspace.root / ("checkout" if checkout else "newest")
    output.mkdir()
    local = command.replace(TEMPLATE_URL, f"--no-input {workspace.template_repo}")
    result = shell(output, local, workspace.env)
    assert result.returncode == 0, result.stdout + result.stderr
    (project,) = output.iterdir()
    recorded = (project / ".cruft.json").read_text()
    assert f'"checkout": "{checkout}"' in recorded if checkout else '"checkout": null' in recorded


def run_cookiecutter(workspace: Workspace, command: str) -> None:
    output = workspace.root / "cookiecutter"
    output.mkdir()
    answers = dict(word.split("=", 1) for word in shlex.split(command) if "=" in word)
    local = command.replace("gh:org/capstone-template", str(workspace.template_repo))
    result = shell(output, local, workspace.env)
    assert result.returncode == 0, result.stdout + result.stderr
    (project,) = output.iterdir()
    assert (project / "README.md").read_text().startswith(f"# {answers['project_name']}\n")
    assert f"- logger: {answers['logger']}\n" in (project / "configs" / "train.yaml").read_text()


def run_in_cruft_project(workspace: Workspace, command: str) -> None:
    """git and cruft in the project that `cruft create --checkout v0.1.0` made, in README order."""
    project = workspace.cruft_project
    position = COMMANDS.index(command)
    for earlier in COMMANDS[:position]:  # what the README did in this project before
        if re.match(r"git |cruft (check|diff|update)", earlier):
            workspace.run(earlier)
    if command.startswith("cruft"):
        workspace.release()
    if command.startswith("cruft update") and "--checkout" in command:
        project = project.with_name("alternative-update")
    # With the project's tools installed, as the README asks before committing: its package importable, as
    # `make install` leaves it, for the pre-commit hook that checks the import layers of the added code.
    result = shell(project, command, {**workspace.env, "PYTHONPATH": str(project / "src")})
    expected = 1 if command == "cruft check" else 0  # "exit code 1 if so": v0.2.0 is newer
    assert result.returncode == expected, result.stdout + result.stderr
    if command.startswith("cruft update"):
        assert "has been updated" in result.stdout, result.stdout


def check_make(workspace: Workspace, command: str) -> None:
    """`make -n` here when the template has the target; otherwise a command of the generated project."""
    target = shlex.split(command)[1]
    makefile = (TEMPLATE_DIR / "Makefile").read_text(encoding="utf-8")
    if not re.search(rf"^{re.escape(target)}:", makefile, re.MULTILINE):
        check_generated(workspace, command)
        return
    result = subprocess.run(
        ["make", "-n", target], cwd=TEMPLATE_DIR, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for called in re.findall(r"python -m capstone_project(\.\w+.*)", result.stdout):
        assert f"python -m <package>{called.strip()}" in workspace.generated_commands(), called


def check_generated(workspace: Workspace, command: str) -> None:
    assert command in workspace.generated_commands(), (
        f"{command!r} is not a command of the generated project's README (whose tests run its commands)"
    )


RULES = [
    Rule("install a tool", r"pip install (cruft|cookiecutter)", check_pip_install),
    Rule("cruft create", rf"cruft create {re.escape(TEMPLATE_URL)}( --checkout v[\d.]+)?", cruft_create),
    Rule("cookiecutter", r"cookiecutter gh:org/capstone-template --no-input( \S+=.+)*", run_cookiecutter),
    Rule("in the cruft project", r"git (add|commit) .+|cruft (check|diff|update)\b.*", run_in_cruft_project),
    Rule("make target", r"make [a-z][a-z-]*", check_make),
    Rule(
        "in the generated project",
        r"python -m <package>\..+|source \.venv/bin/activate",
        check_generated,
    ),
]


def rule_for(command: str, rules: list[Rule] = RULES) -> Rule:
    return extract.rule_for(command, rules, "tests/test_readme_commands.py (RULES)")


# --- The tests -------------------------------------------------------------------------------------------


def test_a_command_without_exactly_one_rule_fails():
    with pytest.raises(AssertionError, match="no rule"):
        rule_for("docker build .")
    overlapping = [*RULES, Rule("any make", r"make .+", check_make)]
    with pytest.raises(AssertionError, match="matches"):
        rule_for("make demo", overlapping)


def test_every_readme_command_has_exactly_one_rule():
    assert len(COMMANDS) > 20  # the bash blocks were found
    for command in COMMANDS:
        rule_for(command)


@pytest.mark.parametrize("command", COMMANDS, ids=COMMANDS)
def test_readme_command(command, workspace):
    workspace.run(command)
