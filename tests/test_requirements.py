"""The shared test environment (requirements/template-dev.txt) holds everything a generated project needs."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

TEMPLATE_DEV = Path(__file__).resolve().parents[1] / "requirements" / "template-dev.txt"


def requirement_names(lines: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(line).name) for line in lines}


def test_every_dependency_of_a_generated_project_is_in_the_shared_environment(default_project):
    project = tomllib.loads((default_project / "pyproject.toml").read_text())["project"]
    needed = requirement_names(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        needed |= requirement_names(extra)
    listed = [line.split("#")[0].strip() for line in TEMPLATE_DEV.read_text().splitlines()]
    missing = needed - requirement_names([line for line in listed if line])
    # mlflow is left out on purpose: it is large, and the tests only bake (never run) logger=mlflow.
    assert missing <= {"mlflow"}, f"add to {TEMPLATE_DEV.name}: {sorted(missing)}"
