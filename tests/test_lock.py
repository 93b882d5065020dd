"""`make lock` in a generated project pins every dependency, with hashes: with pip into pylock.toml (for this
Python and platform), with uv into uv.lock (for every platform, Python and PyTorch choice). Both files pass
the project's own pre-commit hooks (their sha256 hashes are not secrets; uv.lock is over a megabyte)."""

import shutil
import socket
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ENV_BIN, bake, project_env, run_in

# The lockers resolve the project's dependencies from the package indexes (metadata and hashes, not wheels).
pytestmark = pytest.mark.index


def commit(project: Path, lock_file: str) -> subprocess.CompletedProcess:
    """Commit the lock file as a user would: through the project's pre-commit hooks."""
    subprocess.run(["git", "add", lock_file], cwd=project, check=True)
    identity = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.com"]
    return run_in(
        project, "git", *identity, "commit", "--quiet", "-m", f"Lock the dependencies ({lock_file})"
    )


def test_make_lock_with_pip_pins_every_dependency_with_hashes_and_commits_cleanly(tmp_path):
    project = bake(tmp_path)
    # The shared environment stands in for the project's .venv: -o keeps make from creating that one; UV=
    # makes it use pip where uv is installed too.
    locked = run_in(project, "make", "lock", "UV=", f"BIN={ENV_BIN}", "-o", f"{ENV_BIN}/.installed")
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

    committed = commit(project, "pylock.toml")
    assert committed.returncode == 0, committed.stdout + committed.stderr


def reachable(host: str) -> bool:
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True


def test_make_lock_with_uv_writes_a_universal_lock_that_commits_cleanly(tmp_path):
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (requirements/template-dev.txt has it: pip install uv)")
    project = bake(tmp_path)
    indexes = {
        index["name"]: index["url"]
        for index in tomllib.loads((project / "pyproject.toml").read_text())["tool"]["uv"]["index"]
    }
    env = project_env(project)
    if not reachable("download.pytorch.org"):
        # A machine that reaches PyPI only: PyPI stands in for PyTorch's CPU and CUDA indexes, so the lock
        # still checks the project's uv settings (extras, their conflict, the dev group), not those indexes.
        env["UV_INDEX"] = " ".join(f"{name}=https://pypi.org/simple" for name in indexes)
        indexes = dict.fromkeys(indexes, "https://pypi.org/simple")
    locked = run_in(project, "make", "lock", env=env)
    assert locked.returncode == 0, locked.stdout + locked.stderr
    assert f"{uv} lock" in locked.stdout  # make chose uv, found on the PATH

    lock = tomllib.loads((project / "uv.lock").read_text())
    assert lock["requires-python"] == ">=3.11"
    choices = [{"package": "capstone-project", "extra": extra} for extra in ("cpu", "cuda")]
    assert lock["conflicts"] == [choices]
    packages = {package["name"]: package for package in lock["package"]}
    project_entry = packages["capstone-project"]
    assert {"cpu", "cuda"} <= set(project_entry["optional-dependencies"])
    assert {"pytest", "ruff", "pre-commit"} <= {
        dep["name"] for dep in project_entry["dev-dependencies"]["dev"]
    }
    assert {"lightning", "hydra-core", "optuna"} <= set(packages)
    torch_sources = {
        package["source"]["registry"] for package in lock["package"] if package["name"] == "torch"
    }
    assert set(indexes.values()) <= torch_sources  # each PyTorch choice is locked from its index

    committed = commit(project, "uv.lock")
    assert committed.returncode == 0, committed.stdout + committed.stderr
