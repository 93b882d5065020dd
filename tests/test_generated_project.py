"""Generated projects pass their own checks: their test suite, and every pre-commit hook."""

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ENV_BIN, bake, project_env, run_in

pytestmark = pytest.mark.slow

# A second combination far from the defaults: unusual names, another logger, no licence, no CI, and the
# optional parts the defaults leave out.
OTHER_COMBINATION = {
    "project_name": "Análise de Imagens Ü",
    "author_name": "Zoë Ñúñez",
    "logger": "tensorboard",
    "license": "none",
    "ci": "none",
    "benchmarks": "yes",
    "serving": "yes",
}


@pytest.fixture(scope="module")
def other_project(tmp_path_factory) -> Path:
    return bake(tmp_path_factory.mktemp("other"), **OTHER_COMBINATION)


# Both suites run on every core (pytest-xdist), as `make test` does. The default project runs its whole
# suite. The other combination runs the tests its answers can change: its package name in every config
# target and entry point, its logger in training runs, its name, author and licence in the README, the
# model card and the report. Tests that start training in subprocesses (DDP, SIGTERM, sweeps) are left out:
# minutes that its answers do not change.
OTHER_PROJECT_TESTS = [
    "tests/test_configs.py",
    "tests/utils/test_instantiate.py",
    "tests/test_train.py",
    "tests/test_cli.py",
    "tests/reporting/test_run_record.py",
    "tests/reporting/test_model_card.py",
    "tests/reporting/test_dashboard.py",
    "tests/docs/test_readme_commands.py",
    "tests/docs/test_doc_links.py",
    "tests/docs/test_concept_index.py",
    # The code map, the layers and the user errors change with the optional parts.
    "tests/docs/test_code_map.py",
    "tests/test_layers.py",
    "tests/test_errors.py",
]
# And the tests of the parts the defaults leave out, whole (their slow ones included).
OPTIONAL_PART_TESTS = ["tests/benchmarks", "tests/deployment"]
SUITES = {
    "default project": ("default_project", []),
    "other combination": ("other_project", ["-m", "not slow", *OTHER_PROJECT_TESTS]),
    "other combination's optional parts": ("other_project", OPTIONAL_PART_TESTS),
}


# What a passing suite may leave in its temporary folders: pytest's lock files and links, no run outputs.
LEFT_BEHIND_LIMIT_BYTES = 2**20


@pytest.mark.parametrize("suite", list(SUITES))
def test_generated_test_suite_passes(request, tmp_path, suite):
    project_fixture, arguments = SUITES[suite]
    project = request.getfixturevalue(project_fixture)
    pytest_command = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "auto", *arguments]
    # The suite's temporary folders go under a root of this test's own, to see what a pass leaves there.
    env = {**project_env(project), "PYTEST_DEBUG_TEMPROOT": str(tmp_path)}
    result = run_in(project, str(ENV_BIN / "python"), *pytest_command, env=env)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
    # A student runs the suite on every commit, and CI on a small disk: gigabytes of checkpoints from
    # passing tests, kept for three sessions, once filled one.
    left_behind = {str(path): path.stat().st_size for path in tmp_path.rglob("*") if path.is_file()}
    assert sum(left_behind.values()) < LEFT_BEHIND_LIMIT_BYTES, sorted(left_behind)[:20]


@pytest.mark.parametrize("project_fixture", ["default_project", "other_project"])
def test_pre_commit_passes_on_every_file(request, project_fixture):
    project = request.getfixturevalue(project_fixture)
    result = run_in(project, str(ENV_BIN / "pre-commit"), "run", "--all-files", "--show-diff-on-failure")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "Passed" in result.stdout
    # Hooks must not have changed anything: the generated files are already clean.
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True)
    assert status.stdout == ""


def test_wandb_logger_trains_offline_without_an_account(tmp_path):
    project = bake(tmp_path, logger="wandb", init_git="no")
    # No key, no `wandb login` (~/.netrc): a student's first run.
    env = {**project_env(project), "HOME": str(tmp_path)}
    for variable in ("WANDB_API_KEY", "WANDB_MODE", "NETRC"):
        env.pop(variable, None)
    # A short real run: fast_dev_run would switch the loggers off.
    overrides = ["trainer=cpu", "trainer.max_epochs=1", "+trainer.limit_train_batches=2"]
    overrides += ["+trainer.limit_val_batches=1", "+trainer.limit_test_batches=1"]
    result = run_in(project, str(ENV_BIN / "python"), "-m", "capstone_project.train", *overrides, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (run_dir,) = (project / "logs" / "train" / "runs").iterdir()
    assert list((run_dir / "wandb").glob("offline-run-*")), "wandb did not write an offline run"
    assert "test/acc" in json.loads((run_dir / "metrics.json").read_text())["metrics"]


def test_a_committed_api_key_is_caught_by_the_secret_scanning_hook(tmp_path):
    project = bake(tmp_path)
    # Assembled at run time, so this test file holds no key-shaped string itself.
    fake_key = "AKIA" + "Q7X2M4N8P3R6T9V1"
    leak = project / "src" / "capstone_project" / "settings.py"
    leak.write_text(f'AWS_ACCESS_KEY_ID = "{fake_key}"\n')
    hook = [str(ENV_BIN / "pre-commit"), "run", "detect-secrets", "--files", str(leak.relative_to(project))]
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    result = run_in(project, *hook)
    assert result.returncode != 0, result.stdout
    assert "AWS Access Key" in result.stdout
    # The documented escape hatch for a false positive.
    leak.write_text(f'AWS_ACCESS_KEY_ID = "{fake_key}"  # pragma: allowlist secret\n')
    assert run_in(project, *hook).returncode == 0


def test_a_run_notebook_is_stripped_back_to_its_committed_form(tmp_path):
    project = bake(tmp_path)
    path = project / "notebooks" / "02_from_scratch.ipynb"
    # What saving an executed notebook adds: an output, an execution count, the kernel's Python version.
    notebook = json.loads(path.read_text())
    code_cell = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    code_cell["execution_count"] = 1
    code_cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["trained\n"]}]
    notebook["metadata"]["language_info"]["version"] = "3.11.7"
    path.write_text(json.dumps(notebook, indent=1) + "\n")
    hook = [str(ENV_BIN / "pre-commit"), "run", "nbstripout", "--files", "notebooks/02_from_scratch.ipynb"]
    result = run_in(project, *hook)
    assert result.returncode != 0, result.stdout  # a commit with outputs is stopped...
    diff = subprocess.run(["git", "diff"], cwd=project, capture_output=True, text=True, check=True)
    assert diff.stdout == ""  # ...and the notebook is back to exactly what was committed
