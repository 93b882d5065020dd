"""The import contracts of pyproject.toml ([tool.importlinter]) catch an upward import and a cycle.

`make lint` checks the real code against them; these tests check that the contracts can fail, on a copy
of the package with one bad import added.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT

PACKAGE = "{{ cookiecutter.package_name }}"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """The package's source and its contracts, in a folder of their own."""
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(PROJECT_ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src"), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_package_keeps_every_contract(project_copy):
    result = lint_imports(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_data_importing_reporting_breaks_the_layers(project_copy):
    (project_copy / "src" / PACKAGE / "data" / "upward.py").write_text("from ..reporting import model_card\n")
    result = lint_imports(project_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Data flows one way: each layer imports only the layers below it BROKEN" in result.stdout
    assert f"{PACKAGE}.data.upward -> {PACKAGE}.reporting.model_card" in result.stdout


def test_two_modules_importing_each_other_break_the_no_cycles_contract(project_copy):
    splits = project_copy / "src" / PACKAGE / "data" / "splits.py"
    splits.write_text(splits.read_text() + "\nfrom . import tabular\n")  # tabular imports splits
    result = lint_imports(project_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "No import cycles, between packages or between the modules of one BROKEN" in result.stdout
    assert f"No cycles are allowed in {PACKAGE}.data." in result.stdout


def test_a_new_top_level_module_needs_a_layer(project_copy):
    (project_copy / "src" / PACKAGE / "plots.py").write_text("")
    result = lint_imports(project_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{PACKAGE}.plots" in result.stdout and "exhaustive" in result.stdout
