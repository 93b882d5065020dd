"""Validate the answers before cookiecutter writes anything.

Answers are read as JSON data, never executed as code. Each problem is reported as one sentence and the
hook exits non-zero, which makes cookiecutter delete the half-made project directory. An answer that works
but deserves a second thought (a Python near its end of life) gets a one-sentence warning instead.
"""

import json
import keyword
import re
import sys

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

SUPPORTED_PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
# Supported versions at or past the end of their security fixes: accepted, with a warning.
END_OF_LIFE = {"3.10": "October 2026"}
CHOICES = {
    "serving": ("no", "yes"),
    "benchmarks": ("no", "yes"),
    "license": ("MIT", "Apache-2.0", "BSD-3-Clause", "none"),
    "logger": ("csv", "tensorboard", "wandb", "mlflow"),
    "ci": ("github", "none"),
    "init_git": ("yes", "no"),
}
# Top-level modules the generated project imports, directly or through its dependencies and tools: a
# package with one of these names would shadow the real library and break every import of it.
SHADOWED_MODULES = frozenset(
    {
        "antlr4", "click", "cookiecutter", "filelock", "fsspec", "google", "grpc", "hydra", "jinja2",
        "lightning", "lightning_fabric", "lightning_utilities", "matplotlib", "mlflow", "networkx",
        "nbstripout", "numpy", "omegaconf", "packaging", "pandas", "PIL", "pip", "pre_commit",
        "pre_commit_hooks", "protobuf", "pydantic", "pytest", "pytorch_lightning", "requests", "rich", "ruff",
        "scipy", "setuptools", "sklearn", "sympy", "tensorboard", "tensorboardX", "torch", "torchmetrics",
        "torchvision", "tqdm", "typing_extensions", "wandb", "yaml", "src", "tests", "configs",
    }
)  # fmt: skip
STDLIB_MODULES = getattr(sys, "stdlib_module_names", frozenset())  # Python 3.10+
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
PACKAGE_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
EMAIL_PATTERN = re.compile(r"^[^@\s\"'\\]+@[^@\s\"'\\]+\.[^@\s\"'\\]+$")
# PEP 440 release versions (with optional pre, post and dev parts): what packaging tools accept.
# Commands, imports and docstrings of the generated code hold the package name; up to this length they
# still fit the project's 110-character lines (tests/test_bake.py bakes the longest).
MAX_PACKAGE_LENGTH = 40
VERSION_PATTERN = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")


def find_problems(answers: dict) -> list[str]:
    """Return one sentence per invalid answer."""
    answers = {key: str(value) for key, value in answers.items() if not key.startswith("_")}
    problems = []
    if not answers["project_name"].strip():
        problems.append("project_name is empty: give your project a name, e.g. 'Capstone Project'.")

    slug = answers["project_slug"]
    if not SLUG_PATTERN.match(slug):
        problems.append(
            f"project_slug '{slug}' is not a valid folder name: use lowercase ASCII letters, digits and "
            "single dashes, starting with a letter (e.g. 'capstone-project')."
        )

    package = answers["package_name"]
    if not PACKAGE_PATTERN.match(package):
        problems.append(
            f"package_name '{package}' is not an importable Python name: use lowercase ASCII letters, "
            "digits and underscores, starting with a letter (e.g. 'capstone_project')."
        )
    elif len(package) > MAX_PACKAGE_LENGTH:
        problems.append(
            f"package_name '{package}' has {len(package)} characters; keep it to {MAX_PACKAGE_LENGTH} or "
            "fewer (it is typed in every command): pass a shorter package_name=... (or project_name)."
        )
    elif keyword.iskeyword(package) or keyword.issoftkeyword(package):
        problems.append(f"package_name '{package}' is a Python keyword: choose another name.")
    elif package in STDLIB_MODULES or package in SHADOWED_MODULES:
        problems.append(
            f"package_name '{package}' would shadow the module of the same name that the project "
            f"imports: choose a more specific name (e.g. 'my_{package}')."
        )

    if answers["python_version"] not in SUPPORTED_PYTHON_VERSIONS:
        problems.append(
            f"python_version '{answers['python_version']}' is not supported: choose one of "
            f"{', '.join(SUPPORTED_PYTHON_VERSIONS)}."
        )
    if not EMAIL_PATTERN.match(answers["author_email"]):
        problems.append(
            f"author_email '{answers['author_email']}' is not an e-mail address: use the form "
            "name@example.com."
        )
    if not VERSION_PATTERN.match(answers["version"]):
        problems.append(
            f"version '{answers['version']}' is not a Python package version: use the form 0.1.0 "
            "(optionally with a suffix such as 0.1.0rc1 or 0.1.0.dev0)."
        )
    if not answers["author_name"].strip():
        problems.append("author_name is empty: it is needed for the licence and the first git commit.")
    for key, allowed in CHOICES.items():
        if answers[key] not in allowed:
            problems.append(f"{key} '{answers[key]}' is not an option: choose one of {', '.join(allowed)}.")
    return problems


def find_warnings(answers: dict) -> list[str]:
    """Return one sentence per answer that works but that the user should reconsider."""
    version = str(answers["python_version"])
    if version in END_OF_LIFE:
        return [
            f"Python {version}'s end of life is {END_OF_LIFE[version]} (no security fixes after it; PyTorch "
            "2.15 and later have no wheels for it): choose python_version=3.11 or newer unless the project "
            f"must run on {version}."
        ]
    return []


def main() -> int:
    problems = find_problems(ANSWERS)
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    if not problems:
        for warning in find_warnings(ANSWERS):
            print(f"WARNING: {warning}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
