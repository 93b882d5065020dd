"""Bake projects from this template into temporary directories, sharing one Python environment."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
DEFAULTS = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
# The tools of the shared environment (ruff, pre-commit, ...) run from the same bin/ as this Python.
ENV_BIN = Path(sys.executable).parent
# Baking runs the post-generation hook in this process: let it find pre-commit as a user's shell would.
os.environ["PATH"] = f"{ENV_BIN}{os.pathsep}{os.environ['PATH']}"


def hook_constant(name: str, hook: str = "pre_gen_project.py"):
    """A constant of a hook (hooks/pre_gen_project.py by default), which is a template (so read, not
    imported)."""
    tree = ast.parse((TEMPLATE_DIR / "hooks" / hook).read_text())
    assigned = [node for node in tree.body if isinstance(node, ast.Assign)]
    (value,) = [node.value for node in assigned if getattr(node.targets[0], "id", None) == name]
    return ast.literal_eval(value)


def bake(output_dir: Path, **answers: str) -> Path:
    """Generate a project with the default answers except `answers`; returns its directory."""
    return Path(
        cookiecutter(str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=str(output_dir))
    )


def project_env(project: Path) -> dict[str, str]:
    """Run a generated project's code from its source tree with the shared environment's packages."""
    return {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "COLUMNS": "120",
    }


def run_in(project: Path, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=project, env=env or project_env(project), capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="session")
def default_project(tmp_path_factory) -> Path:
    return bake(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="session")
def full_project(tmp_path_factory) -> Path:
    """A project with every optional part: what the shared environment must be able to run."""
    return bake(tmp_path_factory.mktemp("full"), serving="yes", benchmarks="yes")
