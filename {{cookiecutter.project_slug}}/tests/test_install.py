"""`make install` and `make lock` use uv where it is on the PATH and pip otherwise, pick PyTorch's wheels
with TORCH, and both tools take them from the same indexes.

The recipes are printed (`make -n`), not run: they would download gigabytes. A stub `uv` on the PATH stands
for an installed uv, and VENV points at an empty folder, as on a fresh clone.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli, which pytest itself depends on there
    import tomli as tomllib

MAKE = shutil.which("make")
PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# The Makefile's PyTorch index for each TORCH choice (pip's; uv reads pyproject.toml's).
PIP_TORCH_INDEXES = dict(
    re.findall(r"^TORCH_INDEX_(\w+) := (\S+)$", (PROJECT_ROOT / "Makefile").read_text(), re.MULTILINE)
)

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


@pytest.fixture
def stub_uv(tmp_path) -> Path:
    """An executable named uv, first on the PATH: it must never run (`make -n` only prints)."""
    uv = tmp_path / "bin" / "uv"
    uv.parent.mkdir()
    uv.write_text("#!/bin/sh\necho 'the stub uv ran' >&2\nexit 1\n")
    uv.chmod(0o755)
    return uv


def make(tmp_path: Path, *arguments: str, uv: Path | None = None, dry_run: bool = True):
    """make in this project with a fresh VENV, and with no uv on the PATH but `uv`."""
    path = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "uv").exists()]
    if uv is not None:
        path.insert(0, str(uv.parent))
    command = [MAKE, *(["-n"] if dry_run else []), *arguments, f"VENV={tmp_path / 'venv'}"]
    env = {**os.environ, "PATH": os.pathsep.join(path)}
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_make_install_uses_uv_when_it_is_on_the_path(tmp_path, stub_uv):
    printed = make(tmp_path, "install", uv=stub_uv)
    assert printed.returncode == 0, printed.stderr
    assert f"{stub_uv} sync --inexact\n" in printed.stdout
    assert "pip install" not in printed.stdout


@pytest.mark.parametrize("uv_installed", [False, True], ids=["no uv", "uv, but UV="])
def test_make_install_uses_pip_without_uv(tmp_path, stub_uv, uv_installed):
    printed = make(tmp_path, "install", "UV=", uv=stub_uv) if uv_installed else make(tmp_path, "install")
    assert printed.returncode == 0, printed.stderr
    assert " -m venv " in printed.stdout and "-m pip install --quiet -e . --group dev\n" in printed.stdout
    assert " sync --inexact" not in printed.stdout


@pytest.mark.parametrize("choice", ["cpu", "cuda"])
def test_torch_picks_pytorchs_wheels_with_either_tool(tmp_path, stub_uv, choice):
    with_uv = make(tmp_path, "install", f"TORCH={choice}", uv=stub_uv)
    assert f"{stub_uv} sync --inexact --extra {choice}\n" in with_uv.stdout
    with_pip = make(tmp_path, "install", f"TORCH={choice}").stdout
    # PyTorch first, from its own index (the bounds are pyproject.toml's); the project's install keeps it.
    torch_line = f"-m pip install --quiet --index-url {PIP_TORCH_INDEXES[choice]} -r /dev/stdin\n"
    assert torch_line in with_pip and "grep -E '^torch(vision)?" in with_pip
    assert with_pip.index(torch_line) < with_pip.index("-m pip install --quiet -e . --group dev")


def test_an_unknown_torch_choice_is_refused_with_the_choices(tmp_path):
    refused = make(tmp_path, "install", "TORCH=gpu")
    assert refused.returncode != 0
    assert "TORCH=gpu is not a choice: use TORCH=cpu or TORCH=cuda" in refused.stderr


def test_a_venv_keeps_the_pytorch_of_its_first_install(tmp_path, stub_uv):
    stamp = tmp_path / "venv" / "bin" / ".installed"
    stamp.parent.mkdir(parents=True)
    stamp.write_text("cpu\n")
    os.utime(stamp, (0, 0))  # older than pyproject.toml: the next install runs again
    assert f"{stub_uv} sync --inexact --extra cpu\n" in make(tmp_path, "install", uv=stub_uv).stdout
    # Another choice is refused before anything is installed (PYTHON=false: a pip install that started
    # anyway would fail at once instead of downloading).
    switched = make(tmp_path, "install", "TORCH=cuda", "UV=", "PYTHON=false", dry_run=False)
    assert switched.returncode != 0
    assert "has the cpu PyTorch wheels, not the cuda ones: run rm -rf .venv" in switched.stderr
    assert not (tmp_path / "venv" / "bin" / "python").exists()


def test_make_lock_writes_uvs_lock_with_uv_and_pips_without(tmp_path, stub_uv):
    assert f"{stub_uv} lock\n" in make(tmp_path, "lock", uv=stub_uv).stdout
    with_pip = make(tmp_path, "lock").stdout
    assert "-m pip lock --quiet --group dev -r /dev/stdin -o pylock.toml\n" in with_pip


def test_uv_and_pip_take_pytorch_from_the_same_indexes():
    indexes = {index["name"]: index for index in PYPROJECT["tool"]["uv"]["index"]}
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(PIP_TORCH_INDEXES) == {"cpu", "cuda"}
    for choice, url in PIP_TORCH_INDEXES.items():
        index = indexes[f"pytorch-{choice}"]
        assert index["url"] == url and index["explicit"], index
        assert extras[choice] == ["torch", "torchvision"]
        for package in ("torch", "torchvision"):
            assert {"index": index["name"], "extra": choice} in PYPROJECT["tool"]["uv"]["sources"][package]
    # One build at a time: uv refuses both extras together.
    assert [{"extra": "cpu"}, {"extra": "cuda"}] in PYPROJECT["tool"]["uv"]["conflicts"]
