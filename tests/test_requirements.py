"""The shared test environment (requirements/template-dev.txt) holds everything a generated project needs."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

TEMPLATE_DEV = Path(__file__).resolve().parents[1] / "requirements" / "template-dev.txt"


def generated_requirements(project_dir: Path) -> list[Requirement]:
    """Every requirement of a generated project: dependencies, extras and dependency groups."""
    pyproject = tomllib.loads((project_dir / "pyproject.toml").read_text())
    groups = [
        pyproject["project"]["dependencies"],
        *pyproject["project"]["optional-dependencies"].values(),
        *pyproject["dependency-groups"].values(),
    ]
    return [Requirement(line) for group in groups for line in group]


def shared_requirements() -> list[Requirement]:
    listed = [line.split("#")[0].strip() for line in TEMPLATE_DEV.read_text().splitlines()]
    return [Requirement(line) for line in listed if line]


def test_every_dependency_of_a_generated_project_is_in_the_shared_environment(full_project):
    needed = {canonicalize_name(requirement.name) for requirement in generated_requirements(full_project)}
    missing = needed - {canonicalize_name(requirement.name) for requirement in shared_requirements()}
    # mlflow is left out on purpose: it is large, and the tests only bake (never run) logger=mlflow.
    assert missing <= {"mlflow"}, f"add to {TEMPLATE_DEV.name}: {sorted(missing)}"


def test_exact_pins_are_the_same_in_both(full_project):
    """A pin (==) of a tool both use, such as ruff's, changes in both files at once (a Dependabot update of
    requirements/template-dev.txt fails here until the generated pyproject.toml follows)."""
    shared = {canonicalize_name(r.name): str(r.specifier) for r in shared_requirements()}
    for requirement in generated_requirements(full_project):
        name, specifier = canonicalize_name(requirement.name), str(requirement.specifier)
        if name in shared and "==" in specifier + shared[name]:
            assert specifier == shared[name], f"{name}: {specifier} in the project, {shared[name]} shared"


def test_the_serving_dependencies_come_only_with_serving(default_project, full_project):
    serving = {"fastapi", "uvicorn", "python-multipart", "httpx", "onnx", "onnxscript", "onnxruntime"}
    serving |= {"safetensors", "schemathesis"}
    lean = {canonicalize_name(r.name) for r in generated_requirements(default_project)}
    full = {canonicalize_name(r.name) for r in generated_requirements(full_project)}
    assert serving & lean == set() and serving <= full
