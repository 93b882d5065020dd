"""The generated dev container (.devcontainer/devcontainer.json), checked without Docker: a student who opens
the project in VS Code or Codespaces gets its Python, `make install` with CPU-only PyTorch (neither has a
GPU), and the Python, Ruff and Jupyter extensions, with VS Code using the environment that install made.
(The image's Python follows the python_version answer: tests/test_bake.py checks that for every variant.)"""

import json
import shlex

from tests.conftest import run_in

IMAGE = "mcr.microsoft.com/devcontainers/python"
EXTENSIONS = {"ms-python.python", "charliermarsh.ruff", "ms-toolsai.jupyter"}


def test_devcontainer_has_the_image_the_install_and_the_extensions(default_project):
    config = json.loads((default_project / ".devcontainer" / "devcontainer.json").read_text())
    assert config["image"].startswith(f"{IMAGE}:")
    assert set(config["customizations"]["vscode"]["extensions"]) >= EXTENSIONS
    settings = config["customizations"]["vscode"]["settings"]
    assert settings["python.defaultInterpreterPath"] == "${containerWorkspaceFolder}/.venv/bin/python"
    assert config["postCreateCommand"] == "make install TORCH=cpu"


def test_the_create_command_installs_into_the_venv_vs_code_uses(default_project):
    # The image has no uv: the pip path, printed (`make -n`) rather than run.
    command = shlex.split(
        json.loads((default_project / ".devcontainer" / "devcontainer.json").read_text())["postCreateCommand"]
    )
    printed = run_in(default_project, command[0], "-n", *command[1:], "UV=")
    assert printed.returncode == 0, printed.stdout + printed.stderr
    assert " -m venv .venv\n" in printed.stdout
    assert "--index-url https://download.pytorch.org/whl/cpu" in printed.stdout
