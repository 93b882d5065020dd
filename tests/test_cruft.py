"""A project generated with cruft pulls a later template change with `cruft update`, keeping its own edits.

The template's working tree is committed into a temporary git repository and tagged as a release, the way
users meet it (`cruft create --checkout v0.1.0 <url>`). The project is generated with the defaults
(`init_git=yes`), so the post-generation hook creates a repository and installs the pre-commit hooks both
in the project and in the temporary folders where cruft re-renders the template during an update.
"""

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.conftest import DEFAULTS, ENV_BIN, TEMPLATE_DIR

IDENTITY = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.com"]
# Written by the later template version: rendered with the project's answers, so it proves a real re-render.
TEMPLATE_CHANGE = "/{{ cookiecutter.package_name }}-exports/"
PROJECT_EDIT = "/our-private-notes/"


def run(cwd: Path, *command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}\n{result.stderr}"
    return result


def git(cwd: Path, *args: str, env: dict[str, str]) -> str:
    return run(cwd, "git", *IDENTITY, *args, env=env).stdout.strip()


def cruft(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [str(ENV_BIN / "cruft"), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """No user or system git or cookiecutter settings: a global gpgsign or ~/.cookiecutterrc has no say."""
    home = str(tmp_path_factory.mktemp("home"))
    isolated = {
        key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "COOKIECUTTER_"))
    }
    return {**isolated, "HOME": home, "XDG_CONFIG_HOME": home, "GIT_CONFIG_NOSYSTEM": "1"}


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory, env) -> Path:
    """This checkout's template files (tracked and new, as in the working tree), committed as v0.1.0."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=TEMPLATE_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode()
    repo = tmp_path_factory.mktemp("template") / "capstone-template"
    for relative in filter(None, listed.split("\0")):
        source = TEMPLATE_DIR / relative
        if source.is_file():  # a tracked file deleted in the working tree is not part of it
            (repo / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / relative)
    git(repo, "init", "--quiet", "--initial-branch=main", env=env)
    git(repo, "add", "--all", env=env)
    git(repo, "commit", "--quiet", "-m", "Template v0.1.0", env=env)
    git(repo, "tag", "v0.1.0", env=env)
    return repo


@pytest.fixture(scope="module")
def updated_project(tmp_path_factory, template_repo, env) -> dict:
    """Generate from v0.1.0, commit .cruft.json and a project edit, release v0.2.0, run `cruft update`."""
    output = tmp_path_factory.mktemp("projects")
    create = ["create", "--no-input", "--default-config", "--checkout", "v0.1.0", str(template_repo)]
    created = cruft(output, *create, env=env)
    assert created.returncode == 0, created.stdout + created.stderr
    (project,) = output.iterdir()
    recorded = json.loads((project / ".cruft.json").read_text())
    # What the README tells users to do after `cruft create`; the project's pre-commit hooks run on it.
    assert (project / ".git" / "hooks" / "pre-commit").is_file()
    git(project, "add", ".cruft.json", env=env)
    git(project, "commit", "--quiet", "-m", "Record the template version for cruft", env=env)
    with (project / ".gitignore").open("a") as gitignore:
        gitignore.write(PROJECT_EDIT + "\n")
    git(project, "commit", "--quiet", "--all", "-m", "Ignore our notes", env=env)

    # The later release: one line at the top of a generated file the project has also edited (at the end).
    template_gitignore = template_repo / "{{cookiecutter.project_slug}}" / ".gitignore"
    template_gitignore.write_text(TEMPLATE_CHANGE + "\n" + template_gitignore.read_text())
    git(template_repo, "commit", "--quiet", "--all", "-m", "Template v0.2.0", env=env)
    git(template_repo, "tag", "v0.2.0", env=env)

    check_before = cruft(project, "check", env=env)
    update = cruft(project, "update", "-y", env=env)
    return {
        "project": project,
        "recorded": recorded,
        "check_before": check_before,
        "update": update,
        # Not git(): its stripping would cut the status column of the first line.
        "status_after_update": run(project, "git", "status", "--porcelain", env=env).stdout,
    }


def test_create_records_the_answers_and_the_chosen_release(updated_project, template_repo, env):
    recorded = updated_project["recorded"]
    assert recorded["checkout"] == "v0.1.0"
    assert recorded["commit"] == git(template_repo, "rev-parse", "v0.1.0", env=env)
    answers = recorded["context"]["cookiecutter"]
    assert {key: answers[key] for key in ("license", "logger", "ci", "init_git")} == {
        key: DEFAULTS[key][0] for key in ("license", "logger", "ci", "init_git")
    }


def test_check_sees_the_newer_release(updated_project):
    assert updated_project["check_before"].returncode == 1
    assert "out of date" in updated_project["check_before"].stdout


def test_update_applies_the_template_change_and_keeps_the_project_edit(updated_project):
    update = updated_project["update"]
    assert update.returncode == 0, update.stdout + update.stderr
    assert "has been updated" in update.stdout
    project = updated_project["project"]
    lines = (project / ".gitignore").read_text().splitlines()
    assert lines[0] == TEMPLATE_CHANGE.replace("{{ cookiecutter.package_name }}", "capstone_project")
    assert lines[-1] == PROJECT_EDIT
    # A three-way merge with nothing rejected, and nothing from the temporary renders' git repositories.
    assert not list(project.rglob("*.rej"))
    changed = sorted(line[3:] for line in updated_project["status_after_update"].splitlines())
    assert changed == [".cruft.json", ".gitignore"]


def test_after_committing_the_update_the_project_is_up_to_date(updated_project, template_repo, env):
    project = updated_project["project"]
    git(project, "commit", "--quiet", "--all", "-m", "Template update to v0.2.0", env=env)
    assert git(project, "status", "--porcelain", env=env) == ""
    recorded = json.loads((project / ".cruft.json").read_text())
    assert recorded["commit"] == git(template_repo, "rev-parse", "v0.2.0", env=env)
    check = cruft(project, "check", env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    # The project differs from its template only by its own edit.
    diff = cruft(project, "diff", env=env)
    assert diff.returncode == 0, diff.stderr
    changed_files = [line.split()[-1] for line in diff.stdout.splitlines() if line.startswith("diff --git")]
    assert changed_files == ["upstream-template-new/.gitignore"]
    assert f"-{PROJECT_EDIT}" in diff.stdout


# What each part left out by default brings when its answer changes: files, and a line of the README.
PARTS = {
    "benchmarks": (
        ["benchmarks/run.py", "tests/benchmarks/test_benchmarks.py"],
        "### On a GPU: `make bench-gpu`",
    ),
    "serving": (
        ["src/capstone_project/serve.py", "src/capstone_project/deployment/api.py", "Dockerfile"],
        "## Serve your model",
    ),
}


@pytest.mark.parametrize("part", list(PARTS))
def test_a_part_left_out_is_added_by_changing_its_answer(part, tmp_path_factory, template_repo, env):
    """The generated README's path to a part the defaults leave out: one answer changed with cruft, the
    project's own edits kept."""
    files, readme_heading = PARTS[part]
    output = tmp_path_factory.mktemp("lean")
    create = ["create", "--no-input", "--default-config", "--checkout", "v0.1.0", str(template_repo)]
    created = cruft(output, *create, env=env)
    assert created.returncode == 0, created.stdout + created.stderr
    (project,) = output.iterdir()
    assert not any((project / file).exists() for file in files)
    git(project, "add", ".cruft.json", env=env)
    with (project / "Makefile").open("a") as makefile:
        makefile.write("\n# our own note\n")
    git(project, "commit", "--quiet", "--all", "-m", "Record the template version, edit", env=env)

    answer = ["--variables-to-update", json.dumps({part: "yes"}), "--checkout", "v0.1.0"]
    update = cruft(project, "update", "-y", *answer, env=env)
    assert update.returncode == 0, update.stdout + update.stderr
    assert all((project / file).is_file() for file in files)
    assert (project / "Makefile").read_text().endswith("# our own note\n")
    assert readme_heading in (project / "README.md").read_text()
    assert json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"][part] == "yes"
    assert not list(project.rglob("*.rej"))
    if part == "benchmarks":
        assert "\nbench: install" in (project / "Makefile").read_text()
    else:
        dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]
        assert any(dependency.startswith("fastapi") for dependency in dependencies)
