"""Finish the generated project: drop files for options not chosen, then create the git repository.

Idempotent: template-update tools (cruft, cookiecutter replay) re-run this hook in temporary directories,
so every step checks its own precondition. Answers are read as JSON data, never executed as code.

`cruft update` and `cruft diff` render the old and the new template version into two temporary folders
(running this hook in each), diff them and apply that diff to the project. The git repository this hook
creates there would enter that diff as binary noise and make cruft fail, so the generated pyproject.toml
tells cruft to skip `.git` ([tool.cruft]); the hook cannot tell cruft's renders from a real generation.
`cruft create` writes `.cruft.json` after this hook ran, so the initial commit does not contain it: the
README tells users to commit it (tests/test_cruft.py checks that flow, hooks included).
"""

import json
import shutil
import subprocess
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")
PROJECT_DIR = Path.cwd()
INITIAL_COMMIT_MESSAGE = "Initial commit from the capstone template"

# Paths that exist only for one answer of an option: the answer that removes them, and them (`<package>`
# is the package's folder). Everything else a part needs is in these folders and files; the few places
# that name it (the Makefile's targets, the README's sections, pyproject.toml's settings and
# dependencies) are conditional in the templates themselves.
OPTIONAL_PATHS = {
    ("serving", "no"): [
        "src/<package>/deployment",
        "src/<package>/export.py",
        "src/<package>/predict.py",
        "src/<package>/serve.py",
        "configs/export.yaml",
        "configs/predict.yaml",
        "configs/serve.yaml",
        "Dockerfile",
        ".dockerignore",
        "tests/deployment",
        "tests/docs/rules_serving.py",
        "benchmarks/serve_rps.py",
        "benchmarks/minimal_api.py",
    ],
    ("benchmarks", "no"): ["benchmarks", "tests/benchmarks"],
    ("license", "none"): ["LICENSE"],
    ("ci", "none"): [".github"],
}


def remove_unchosen_files() -> None:
    for (key, value), paths in OPTIONAL_PATHS.items():
        if ANSWERS[key] != value:
            continue
        for relative in paths:
            path = PROJECT_DIR / relative.replace("<package>", ANSWERS["package_name"])
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def run_git(*args: str) -> None:
    subprocess.run(["git", *args], cwd=PROJECT_DIR, check=True, capture_output=True, text=True)


def create_git_repository() -> None:
    """`git init` plus one initial commit, signed with the author answers (works without a git identity)."""
    if ANSWERS["init_git"] != "yes" or (PROJECT_DIR / ".git").exists():
        return
    if shutil.which("git") is None:
        print("git is not installed: skipped creating the repository (run `git init` later).")
        return
    # The author answers as identity, and no signing: a user's global gpgsign must not break generation.
    identity = ["-c", f"user.name={ANSWERS['author_name']}", "-c", f"user.email={ANSWERS['author_email']}"]
    identity += ["-c", "commit.gpgsign=false"]
    try:
        run_git("init", "--quiet", "--initial-branch=main")
        run_git("add", "--all")
        # --no-verify: the commit must not depend on hooks the user may have installed globally.
        run_git(*identity, "commit", "--quiet", "--no-verify", "-m", INITIAL_COMMIT_MESSAGE)
    except subprocess.CalledProcessError as error:
        # A failing hook would make cookiecutter delete the finished project: warn instead.
        # Leave no half-made repository behind, so that running the hook again tries again.
        shutil.rmtree(PROJECT_DIR / ".git", ignore_errors=True)
        reason = error.stderr.strip()
        print(f"WARNING: the project is complete, but creating its git repository failed: {reason}")
        return
    install_pre_commit_hook()


def install_pre_commit_hook() -> None:
    if shutil.which("pre-commit") is None:
        print("pre-commit is not installed yet: run `make install` in the project to set up the git hooks.")
        return
    subprocess.run(["pre-commit", "install"], cwd=PROJECT_DIR, check=False, capture_output=True)


if __name__ == "__main__":
    remove_unchosen_files()
    create_git_repository()
