"""Model bundles for the serving part's tests: exported from tiny runs, once per session."""

from pathlib import Path

import pytest
from tests.conftest import best_checkpoint_of, train_tiny

from {{ cookiecutter.package_name }}.config import compose_run_config


def export_bundle(checkpoint: Path, overrides: list[str], log_dir: Path) -> Path:
    """`python -m <package>.export` of `checkpoint` with `overrides`; returns the bundle's folder."""
    from {{ cookiecutter.package_name }}.export import export

    cfg = compose_run_config("export", [*overrides, f"ckpt_path={checkpoint}"], log_dir)
    return export(cfg)


@pytest.fixture(scope="session")
def tabular_bundle(tabular_checkpoint, tmp_path_factory) -> Path:
    """The bundle of tests/conftest.py::tabular_checkpoint, with a decision policy where a missed malignancy
    costs five false alarms."""
    overrides = ["experiment=tabular_breast_cancer", "decision.cost_false_negative=5"]
    return export_bundle(best_checkpoint_of(tabular_checkpoint), overrides, tmp_path_factory.mktemp("logs"))


@pytest.fixture(scope="session")
def digits_bundle(tmp_path_factory) -> Path:
    """The model bundle of a tiny ResNet18 digits run (the default experiment)."""
    logs = tmp_path_factory.mktemp("logs")
    return export_bundle(best_checkpoint_of(train_tiny([], logs)), ["export.parity_examples=8"], logs)
