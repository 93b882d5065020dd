"""Bake with the defaults and with each option varied one at a time; every result must be well-formed."""

import ast
import fnmatch
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import DEFAULTS, ENV_BIN, TEMPLATE_DIR, bake, hook_constant

# The generated project's folder in the template, and its package's folder there.
PROJECT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
PACKAGE_FOLDER = "{{cookiecutter.package_name}}"
UNRENDERED = re.compile(r"(?<!\$)\{\{")
UNUSUAL_NAME = {"project_name": "Análise de Imagens Ü", "author_name": 'Zoë "Zo" O\'Brien-Ñúñez'}
# One entry per answer that differs from the defaults (cookiecutter-django's approach).
VARIANTS = {
    "defaults": {},
    "license=Apache-2.0": {"license": "Apache-2.0"},
    "license=BSD-3-Clause": {"license": "BSD-3-Clause"},
    "license=none": {"license": "none"},
    "logger=tensorboard": {"logger": "tensorboard"},
    "logger=wandb": {"logger": "wandb"},
    "logger=mlflow": {"logger": "mlflow"},
    "ci=none": {"ci": "none"},
    "init_git=no": {"init_git": "no"},
    "serving=yes": {"serving": "yes"},
    "benchmarks=yes": {"benchmarks": "yes"},
    # The benchmark of serving goes with it: benchmarks without serving have no serve_rps.
    "serving=yes benchmarks=yes": {"serving": "yes", "benchmarks": "yes"},
    "python_version=3.10": {"python_version": "3.10"},
    "python_version=3.14": {"python_version": "3.14"},
    "unusual names": UNUSUAL_NAME,
    "explicit slug and package": {"project_slug": "my-capstone", "package_name": "vision_lab"},
    # The longest package name the answers allow: every line holding it must still fit.
    "longest package name": {"package_name": "a_package_name_of_exactly_forty_letters_"},
    "quotes and backslashes": {"description": 'Says "hi" \\ and\ttabs', "author_name": 'A "B" \\ C'},
}


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def baked(request, tmp_path_factory) -> tuple[dict, Path]:
    answers = VARIANTS[request.param]
    return answers, bake(tmp_path_factory.mktemp("bake"), **answers)


def project_files(project: Path) -> list[Path]:
    return [path for path in project.rglob("*") if path.is_file() and ".git" not in path.parts]


def test_nothing_is_left_unrendered(baked):
    _, project = baked
    for path in project_files(project):
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in DEFAULTS["_copy_without_render"]):
            continue  # copied as they are on purpose (images; Jinja templates the project renders itself)
        text = path.read_text(encoding="utf-8")
        # ${{ ... }} is GitHub Actions' own expression syntax, which the template renders on purpose.
        assert not UNRENDERED.search(text), f"unrendered '{{{{' in {path}"
        assert "{%" not in text, f"unrendered '{{%' in {path}"
        assert "cookiecutter" not in path.relative_to(project).as_posix(), path


def test_every_python_yaml_toml_and_json_file_parses(baked):
    _, project = baked
    for path in project_files(project):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        elif path.suffix in (".yaml", ".yml"):
            yaml.safe_load(text)
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in (".json", ".ipynb"):
            json.loads(text)


def test_ruff_lint_and_format_pass(baked):
    _, project = baked
    # --no-cache: the project's files stay the generated ones for the other checks of the same bake.
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run(
            [str(ENV_BIN / "ruff"), *command], cwd=project, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_answers_reach_the_project(baked):
    answers, project = baked
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    train_config = yaml.safe_load((project / "configs" / "train.yaml").read_text())
    logger = answers.get("logger", "csv")
    python_version = answers.get("python_version", "3.11")

    assert pyproject["project"]["requires-python"] == f">={python_version}"
    assert pyproject["tool"]["ruff"]["target-version"] == f"py{python_version.replace('.', '')}"
    assert {"logger": logger} in train_config["defaults"]
    assert pyproject["project"]["authors"][0]["name"] == answers.get("author_name", "Your Name")
    assert pyproject["project"]["description"] == answers.get("description", DEFAULTS["description"])
    package = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"][0]
    assert (project / package / "train.py").is_file()
    if logger != "csv":
        assert any(dep.startswith(logger) for dep in pyproject["project"]["dependencies"])

    license_file = project / "LICENSE"
    license_answer = answers.get("license", "MIT")
    assert license_file.exists() == (license_answer != "none")
    if license_answer != "none":
        assert pyproject["project"]["license"] == license_answer
        first_words = {"MIT": "MIT License", "Apache-2.0": "Apache License", "BSD-3-Clause": "BSD 3-Clause"}
        assert first_words[license_answer] in license_file.read_text()
    for workflow_file in (".github/workflows/ci.yaml", ".github/dependabot.yml"):
        assert (project / workflow_file).exists() == (answers.get("ci", "github") == "github"), workflow_file
    devcontainer = json.loads((project / ".devcontainer" / "devcontainer.json").read_text())
    assert devcontainer["image"] == f"mcr.microsoft.com/devcontainers/python:3-{python_version}"
    assert devcontainer["name"] == answers.get("project_name", DEFAULTS["project_name"])


def answer(answers: dict, key: str) -> str:
    return answers.get(key, DEFAULTS[key][0] if isinstance(DEFAULTS[key], list) else DEFAULTS[key])


def names_of(relative: str, package: str) -> list[str]:
    """How a file may name a removed path: as a path (`benchmarks/`, `tests/deployment/`, `Dockerfile`,
    `configs/serve.yaml`), as a path in the package (`deployment/`, `serve.py`) or as a module
    (`benchmarks.run`, `benchmarks.serve_rps`, `<package>.deployment`, `<package>.serve`)."""
    is_folder = (PROJECT_TEMPLATE / relative.replace("<package>", PACKAGE_FOLDER)).is_dir()
    name = relative.replace("<package>", package)
    names = [f"{name}/" if is_folder else name]
    module = name.removesuffix(".py").replace("/", ".")
    if name.startswith(f"src/{package}/"):
        inside = name.removeprefix(f"src/{package}/")
        return [*names, f"{inside}/" if is_folder else inside, module.removeprefix("src.")]
    if name.startswith((".", "configs/", "tests/")) or not name[0].islower():
        return names  # not a module
    # A top-level folder's name alone is an ordinary word ("without its benchmarks"): only as a package.
    return [*names, f"{module}." if is_folder else module]


def test_a_part_not_chosen_leaves_nothing_that_names_it(baked):
    """Its folders and files are gone, and no file left (the Makefile, the README, the docs, a config, the
    code) names them: as a path, a path in the package or a module (names_of)."""
    answers, project = baked
    package = next(path.name for path in (project / "src").iterdir() if (path / "train.py").is_file())
    optional_paths = hook_constant("OPTIONAL_PATHS", "post_gen_project.py")
    # What the answers remove, a folder with all inside it (serving's benchmark goes with benchmarks/ too).
    removed = [
        Path(relative)
        for (key, removing_answer), paths in optional_paths.items()
        if answer(answers, key) == removing_answer
        for relative in paths
    ]
    for (key, removing_answer), paths in optional_paths.items():
        chosen = answer(answers, key) != removing_answer
        for relative in paths:
            kept = not any(Path(relative).is_relative_to(folder) for folder in removed)
            path = project / relative.replace("<package>", package)
            assert path.exists() == kept, f"{relative} with {key}={answer(answers, key)}"
        if chosen:
            continue
        names = [name for relative in paths for name in names_of(relative, package)]
        # A whole name: not the end of a longer one, and (unless it ends a folder or a package) not the
        # start of one (`serve.py` is not `serve.pyc`, `<package>.serve` not `<package>.server`).
        alternatives = [re.escape(n) + ("" if n.endswith(("/", ".")) else r"(?![\w-])") for n in names]
        pattern = re.compile(r"(?<![\w./-])(" + "|".join(alternatives) + ")")
        for path in project_files(project):
            found = pattern.search(path.read_text(encoding="utf-8"))
            assert not found, (
                f"{path.relative_to(project)} names {found[0]!r} ({key}={removing_answer} removed it)"
            )


def test_unusual_names_become_valid_identifiers(tmp_path):
    project = bake(tmp_path, **UNUSUAL_NAME)
    assert project.name == "analise-de-imagens-u"
    assert (project / "src" / "analise_de_imagens_u" / "train.py").is_file()
    assert "# Análise de Imagens Ü" in (project / "README.md").read_text(encoding="utf-8")


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_git_repository_has_one_clean_initial_commit_by_the_author(tmp_path, monkeypatch):
    # A machine with no git identity at all: the commit must use the answers.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(variable, raising=False)
    project = bake(tmp_path / "out", author_name="Ada Lovelace", author_email="ada@example.org")
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    assert git(project, "log", "-1", "--format=%an <%ae>") == "Ada Lovelace <ada@example.org>"
    assert git(project, "status", "--porcelain", "--ignored") == ""  # every generated file is committed
    assert git(project, "branch", "--show-current") == "main"


def test_no_git_repository_when_declined(tmp_path):
    assert not (bake(tmp_path, init_git="no") / ".git").exists()


def test_post_generation_hook_is_idempotent(tmp_path):
    project = bake(tmp_path, license="none", ci="none")
    hook = Path(__file__).resolve().parents[1] / "hooks" / "post_gen_project.py"
    rendered = hook.read_text().replace(
        "{{ cookiecutter | tojson }}",
        '{"license": "none", "ci": "none", "benchmarks": "no", "serving": "no", "init_git": "yes", '
        '"author_name": "A", "author_email": "a@b.co", "package_name": "capstone_project"}',
    )
    script = tmp_path / "post_gen_again.py"
    script.write_text(rendered)
    for _ in range(2):
        subprocess.run(["python3", str(script)], cwd=project, check=True, capture_output=True)
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    assert not (project / "LICENSE").exists() and not (project / ".github").exists()
    assert not (project / "benchmarks").exists() and not (project / "Dockerfile").exists()
    assert not (project / "src" / "capstone_project" / "deployment").exists()
