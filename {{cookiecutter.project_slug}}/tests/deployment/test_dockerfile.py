"""The Dockerfile, checked without Docker: everything it copies is in the build context, the command it runs
imports and composes with the same overrides, and its Python and PyTorch are pyproject.toml's."""

import fnmatch
import importlib
import json
import re
import shlex

import pytest
from hydra import compose, initialize_config_dir

from {{ cookiecutter.package_name }}.config import CONFIG_DIR, PROJECT_ROOT, register_resolvers

PYTORCH_REQUIREMENT = re.compile(r'"(torch(?:vision)?[<>=!~][^"]*)"')


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, its arguments) for every instruction, comments dropped and continued lines joined."""
    lines = (PROJECT_ROOT / "Dockerfile").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    joined = re.sub(r"\\\n\s*", " ", text).splitlines()
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined if line.strip()]


def arguments(name: str) -> list[str]:
    return [args for instruction, args in instructions() if instruction == name]


def dockerignore() -> list[str]:
    lines = (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip().strip("/") for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    """Whether .dockerignore leaves `path` (or a folder above it) out: Docker's rules, simplified."""
    parts = path.strip("/").split("/")
    for end in range(1, len(parts) + 1):
        for pattern in dockerignore():
            if pattern.startswith("**/"):  # at any depth
                tails = ["/".join(parts[start:end]) for start in range(end)]
                if any(fnmatch.fnmatch(tail, pattern[3:]) for tail in tails):
                    return True
            elif fnmatch.fnmatch("/".join(parts[:end]), pattern):
                return True
    return False


def copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY, its --flags dropped."""
    result = []
    for args in arguments("COPY"):
        *sources, destination = [word for word in shlex.split(args) if not word.startswith("--")]
        result.append((sources, destination))
    return result


def model_dir_arg() -> str:
    (default,) = [args.split("=", 1)[1] for args in arguments("ARG") if args.startswith("MODEL_DIR=")]
    return default


def test_everything_the_image_copies_is_in_the_build_context():
    bundle_copies = 0
    for sources, _ in copies():
        for source in sources:
            if "MODEL_DIR" in source:  # the bundle: exported by the user, but never left out of the context
                bundle_copies += 1
                assert not ignored(model_dir_arg()), f".dockerignore leaves out the bundle {model_dir_arg()}"
                continue
            assert (PROJECT_ROOT / source).exists(), f"COPY {source}: no such file in the project"
            assert not ignored(source), f"COPY {source}: .dockerignore leaves it out of the build context"
    assert bundle_copies == 1


def test_the_image_serves_its_bundle_as_a_non_root_user_with_a_composable_command():
    command = json.loads(arguments("CMD")[-1])
    assert command[:2] == ["python", "-m"]
    module, overrides = command[2], command[3:]
    served = importlib.import_module(module)
    assert callable(served.main) and callable(served.build_app)

    register_resolvers()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("serve", overrides=overrides, return_hydra_config=True)
    (bundle_destination,) = [destination for sources, destination in copies() if "MODEL_DIR" in sources[0]]
    assert cfg.model_dir == bundle_destination and cfg.host == "0.0.0.0"
    assert arguments("EXPOSE") == [str(cfg.port)]
    healthcheck = arguments("HEALTHCHECK")[0]
    assert f"http://127.0.0.1:{cfg.port}/health" in healthcheck and "curl" not in healthcheck
    # The user cannot write to /app: Hydra's run directory goes to /tmp, and the log to stdout only.
    run_dir = cfg.hydra.run.dir  # by default under the project: /app/logs in the image
    assert run_dir.startswith("/tmp/") and not run_dir.startswith((str(PROJECT_ROOT), *arguments("WORKDIR")))
    assert list(cfg.hydra.job_logging.root.handlers) == ["console"]
    assert arguments("USER")[-1] not in ("root", "0")
    assert any("pip install --no-deps -e ." in args for args in arguments("RUN")), "configs/ needs -e"


def test_the_image_has_pyprojects_python_and_pytorch():
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert PYTORCH_REQUIREMENT.findall(dockerfile) == PYTORCH_REQUIREMENT.findall(pyproject)
    assert len(PYTORCH_REQUIREMENT.findall(pyproject)) == 2  # torch and torchvision
    (python,) = re.findall(r'requires-python = ">=([\d.]+)"', pyproject)
    assert arguments("FROM") == [f"python:{python}-slim"]


@pytest.mark.parametrize("path", [".venv", "logs", "data", ".git", ".env", "src/x/__pycache__/y.pyc"])
def test_dockerignore_keeps_environments_data_secrets_and_caches_out(path):
    assert ignored(path)
