"""`make lock` in a generated project pins every dependency, with hashes, into a pylock.toml that passes
the project's own pre-commit hooks (its sha256 hashes are not secrets)."""

import subprocess
import tomllib

import pytest

from tests.conftest import ENV_BIN, bake, run_in

# pip resolves the project's dependencies from the package index (metadata and hashes, not the wheels).
pytestmark = pytest.mark.index


def test_make_lock_pins_every_dependency_with_hashes_and_commits_cleanly(tmp_path):
    project = bake(tmp_path)
    # The shared environment stands in for the project's .venv: -o keeps make from creating that one.
    locked = run_in(project, "make", "lock", f"BIN={ENV_BIN}", "-o", f"{ENV_BIN}/.installed")
    assert locked.returncode == 0, locked.stdout + locked.stderr

    packages = {
        package["name"]: package
        for package in tomllib.loads((project / "pylock.toml").read_text())["packages"]
    }
    assert {"torch", "torchvision", "lightning", "hydra-core", "optuna", "pytest", "ruff"} <= set(packages)
    assert packages["lightning"]["version"] not in {"2.6.2", "2.6.3"}  # the compromised releases
    # Only files with hashes: the project itself (an editable directory, nothing to hash) stays out.
    assert "capstone-project" not in packages
    for name, package in packages.items():
        files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
        assert files and all(len(file["hashes"]["sha256"]) == 64 for file in files), name

    # The file is meant to be committed: the project's hooks (detect-secrets, check-toml, ...) accept it.
    subprocess.run(["git", "add", "pylock.toml"], cwd=project, check=True)
    identity = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.com"]
    commit = run_in(project, "git", *identity, "commit", "--quiet", "-m", "Lock the dependencies")
    assert commit.returncode == 0, commit.stdout + commit.stderr
