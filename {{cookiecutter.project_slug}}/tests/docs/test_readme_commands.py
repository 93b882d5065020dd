"""Every command of the README's ```bash blocks (and its inline `make ...` commands) runs here, so the README
cannot rot.

Each command must match exactly one of RULES, which says how it is exercised; a command no rule knows fails
`test_every_readme_command_has_exactly_one_rule`. The commands run in README order in one temporary project
root (`paths.root_dir`, and the working directory, so `data.path=my.csv` is found there), as a reader
following the README would, with tiny limits:

- `python -m <package>.train|eval|explain ...`: composed with Hydra's compose API from the same overrides
  (plus conftest.TINY_RUN's limits) and run in this process. What a command refers to is made first:
  `ckpt_path=last` (or `best`) gets a tiny run trained with the same experiment and data options (made the
  newest run, which is what both pick), `logs/<task>/runs/<run>/...` becomes such a run's directory, and
  the input files (`my.csv`, `data/raw/...`, images) are written by the `project` fixture.
- Sweeps (`-m`) are not launched, as each trial is a training run: every job of a grid is composed, and an
  Optuna sweep's search space is parsed by the sweeper's own parser (`parse_search_space`) and its first
  trial composed. The sweeps themselves run in tests/sweeps/test_sweeps.py. `--cfg job` composes and prints.
- NOT_RUN: the commands that cannot run in a test (a GPU, a cluster, a download), each with its reason: their
  configs are composed, nothing more.
- An optional part's commands follow the rules of its own `tests/docs/rules_<part>.py` (its RULES, its
  NOT_RUN and the input files its commands read, `write_inputs`), which the generation hook deletes with
  the part.
- `make <target>`: `make -n` (the recipes install, lint, lock or run this suite: printed, not run), and each
  recipe line that calls an entry point is checked like that entry point's own command (composed; the model
  card's `publish_card` runs for real, into the temporary project). `make help` runs for real.
- `source .venv/bin/activate` activates a fresh virtual environment in bash (made without pip's own
  bootstrap), and `python -m pytest <file>` collects that file (its tests run in this suite anyway).
"""

import importlib
import inspect
import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf
from tests.conftest import TINY_RUN
from tests.docs.readme_commands import Rule, readme_commands
from tests.docs.readme_commands import rule_for as find_rule

from {{ cookiecutter.package_name }} import config as project_config
from {{ cookiecutter.package_name }}.config import (
    CONFIG_DIR,
    PROJECT_ROOT,
    compose_run_config,
    register_resolvers,
)

PACKAGE = project_config.__name__.split(".")[0]
README = PROJECT_ROOT / "README.md"
# The distribution name (the project's slug), written `<slug>` in the commands like the package's `<package>`.
SLUG = re.search(r'^name = "(.+)"', (PROJECT_ROOT / "pyproject.toml").read_text(), re.MULTILINE)[1]
# The rules of the optional parts this project has: tests/docs/rules_<part>.py, deleted with the part.
PARTS = [
    importlib.import_module(f"tests.docs.{path.stem}")
    for path in sorted(Path(__file__).parent.glob("rules_*.py"))
]

# Commands that cannot run in a test, and why. Their configs are still composed, so a renamed option fails.
NOT_RUN = {
    "python -m <package>.train data=image_folder model.weights=DEFAULT": "downloads ImageNet weights",
    "python -m <package>.train trainer=gpu": "needs an NVIDIA GPU",
    "python -m <package>.train trainer=gpu compile=true": "needs an NVIDIA GPU",
    "python -m <package>.train trainer=mps": "needs Apple silicon",
    "python -m <package>.train trainer=ddp trainer.devices=4": "needs 4 GPUs",
    "python -m <package>.train trainer=ddp trainer.devices=4 global_batch_size=256": "needs 4 GPUs",
    "python -m <package>.train trainer=multinode": "needs GPUs in a SLURM or torchrun job",
    "python -m <package>.train trainer=ddp_sim": (
        "starts a second process that re-runs the command line: tests/test_cli.py runs it in a subprocess"
    ),
    **{command: reason for part in PARTS for command, reason in part.NOT_RUN.items()},
}


# The package as a module (`python -m <package>.train`), first: a one-word project name makes the slug the
# same word, and the slug is the rest (`docker build -t <slug>-api`).
PLACEHOLDERS = {f"{PACKAGE}.": "<package>.", SLUG: "<slug>"}
COMMANDS = readme_commands(README.read_text(encoding="utf-8"), PLACEHOLDERS)


# --- The temporary project the commands run in ---------------------------------------------------------


def identity(overrides: list[str]) -> tuple[str, ...]:
    """The overrides that say what a checkpoint is (experiment, data, model), as `ckpt_path=last` needs."""
    chosen = []
    for override in overrides:
        key = override.split("=", 1)[0]
        if key in ("experiment", "data", "model") or key.startswith(("data.", "model.")):
            chosen.append(override)
    return tuple(chosen)


def tiny_overrides(config_name: str, overrides: list[str]) -> list[str]:
    """conftest.TINY_RUN's limits, for the configs that train or test; a group the command picks stays."""
    tiny = [*TINY_RUN, "trainer.limit_train_batches=1"]
    if config_name == "train":
        tiny.append("explain.after_training=false")
    picked = {override.split("=", 1)[0] for override in overrides}
    # A limit always applies; a group the command picks itself (e.g. trainer=...) stays the command's.
    return [override for override in tiny if "." in (key := override.split("=", 1)[0]) or key not in picked]


@dataclass
class Project:
    root: Path
    # Training overrides (without ckpt_path) -> the run directory they trained.
    runs: dict[tuple[str, ...], Path] = field(default_factory=dict)
    # The README's commands, in order.
    commands: list[str] = field(default_factory=lambda: COMMANDS)
    # What an optional part's rules keep between its commands, under keys of their own.
    parts: dict[str, Any] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)

    def compose(self, config_name: str, overrides: list[str], hydra: bool = False) -> DictConfig:
        register_resolvers()
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            return compose(
                config_name, [*overrides, f"paths.root_dir={self.root}"], return_hydra_config=hydra
            )

    def configured(
        self, config_name: str, overrides: list[str], extra: tuple[str, ...] = (), limited: bool = True
    ) -> DictConfig:
        """The config of a run, with its run directory under the project's logs/ (as conftest does), with
        tiny_overrides' limits (unless not `limited`: a verb that neither trains nor tests) and `extra`."""
        tiny = [*(tiny_overrides(config_name, overrides) if limited else []), *extra]
        return compose_run_config(
            config_name, [*overrides, *tiny, f"paths.root_dir={self.root}"], self.root / "logs"
        )

    def train(self, overrides: list[str]) -> dict[str, float]:
        from {{ cookiecutter.package_name }}.train import train

        cfg = self.configured("train", overrides)
        metrics = train(cfg)
        run_dir = Path(cfg.paths.output_dir)
        if (run_dir / "checkpoints" / "last.ckpt").is_file():
            self.runs[tuple(o for o in overrides if not o.startswith("ckpt_path="))] = run_dir
        return metrics

    def trained(self, overrides: tuple[str, ...]) -> Path:
        """A run directory trained with exactly these overrides: an earlier command's, or a new tiny run."""
        if overrides not in self.runs:
            self.train(list(overrides))
        return self.runs[overrides]

    def fill_placeholders(self, argument: str) -> str:
        """`logs/<task>/runs/<run>/...`: the directory of a run of that task (and the file, if it names a
        checkpoint a tiny run does not have: the README's epoch_004.ckpt is the tiny run's last one)."""
        match = re.search(r"logs/([\w-]+)/runs/<run>", argument)
        if not match:
            assert "<" not in argument, f"unknown placeholder in {argument}"
            return argument
        task = match[1]
        overrides = () if task == "train" else (f"experiment={task}",)
        assert task == "train" or (CONFIG_DIR / "experiment" / f"{task}.yaml").is_file(), task
        run_dir = self.trained(overrides).relative_to(self.root)
        filled = argument.replace(match[0], run_dir.as_posix())
        path = Path(filled.split("=", 1)[-1])
        if path.suffix == ".ckpt" and not path.is_file():
            shutil.copyfile(self.root / run_dir / "checkpoints" / "last.ckpt", path)
        return filled

    def readme_run_before(self, command: str) -> Path | None:
        """The run of the README's last training command before `command`, trained here if this process
        has not run it yet (pytest-xdist hands a worker only some of the commands); None before any."""
        trains = [
            c
            for c in COMMANDS[: COMMANDS.index(command)]
            if c.startswith("python -m <package>.train ")
            and c not in NOT_RUN
            and shlex.split(c)[3] not in ("-m", "--cfg")
        ]
        if not trains:
            return None
        self.run(trains[-1])
        arguments = [self.fill_placeholders(argument) for argument in shlex.split(trains[-1])[3:]]
        return self.runs[tuple(a for a in arguments if not a.startswith("ckpt_path="))]

    def prepare(self, command: str, overrides: list[str]) -> None:
        """Make what the overrides refer to: the checkpoint of ckpt_path=last or best (a bare one: the run
        of the README's latest training command, which the verbs configure themselves from; for `train`,
        a run of its own task, the one it continues)."""
        for override in overrides:
            key, _, value = override.partition("=")
            if key == "ckpt_path" and value in ("last", "best"):
                chosen = identity(overrides)
                resumes = command.startswith("python -m <package>.train ")
                latest = None if chosen or resumes else self.readme_run_before(command)
                run_dir = self.trained(chosen) if latest is None else latest
                os.utime(run_dir / "checkpoints" / "last.ckpt")  # the newest last.ckpt: the one `last` picks
                os.utime(run_dir / "metrics.json")  # the newest tested run: the one `best` picks

    def run(self, command: str) -> None:
        if command not in self.done:
            rule_for(command).run(self, command)
            self.done.add(command)


def write_inputs(root: Path) -> None:
    """The files the README's commands read."""
    rng = np.random.default_rng(0)
    rows = 120
    size, rooms = rng.uniform(30, 150, rows).round(1), rng.integers(1, 6, rows)
    city = rng.choice(["Lisbon", "Porto", "Faro"], rows)
    price = (size * 3000 + rooms * 10_000 + (city == "Lisbon") * 50_000 + rng.normal(0, 5000, rows)).round()
    pd.DataFrame({"size_m2": size, "rooms": rooms, "city": city, "price": price}).to_csv(
        root / "my.csv", index=False
    )
    (root / "data" / "raw").mkdir(parents=True)
    spend, months = rng.gamma(2.0, 30.0, rows).round(2), rng.integers(1, 60, rows)
    pd.DataFrame(
        {
            "customer_id": np.arange(rows),
            "monthly_spend": spend,
            "plan": rng.choice(["basic", "plus", "pro"], rows),
            "months_active": months,
            "notes": [f"called on day {day}" for day in range(rows)],
            "churned": (months < 12) | (spend < 20),
        }
    ).to_csv(root / "data" / "raw" / "customers.csv", index=False)
    for part in PARTS:
        part.write_inputs(root)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    root = tmp_path_factory.mktemp("project")
    write_inputs(root)
    return Project(root)


# --- How each kind of command runs -----------------------------------------------------------------------


def run_entry_point(project: Project, command: str) -> None:
    words = shlex.split(command)
    config_name, arguments = words[2].removeprefix("<package>."), words[3:]
    if arguments[:1] == ["-m"]:
        check_sweep(project, config_name, arguments[1:])
        return
    if arguments[:2] == ["--cfg", "job"]:
        print(OmegaConf.to_yaml(project.compose(config_name, arguments[2:])))
        return
    assert not [word for word in arguments if word.startswith("-")], f"a flag this test cannot run: {command}"
    overrides = [project.fill_placeholders(argument) for argument in arguments]
    if command in NOT_RUN:
        project.compose(config_name, overrides)
        return
    project.prepare(command, overrides)
    VERBS[config_name](project, command, overrides)


def run_train(project: Project, command: str, overrides: list[str]) -> None:
    metrics = project.train(overrides)
    assert any(name.startswith("test/") for name in metrics), metrics


def run_eval(project: Project, command: str, overrides: list[str]) -> None:
    from {{ cookiecutter.package_name }}.eval import evaluate

    assert any(name.startswith("test/") for name in evaluate(project.configured("eval", overrides)))


def run_explain(project: Project, command: str, overrides: list[str]) -> None:
    from {{ cookiecutter.package_name }}.explain import explain

    assert explain(project.configured("explain", overrides))


# How each entry point runs once its overrides are filled in and what they refer to is made: the core's,
# and the optional parts' (the VERBS of their rules modules).
VERBS = {
    "train": run_train,
    "eval": run_eval,
    "explain": run_explain,
    **{verb: run for part in PARTS for verb, run in part.VERBS.items()},
}


def check_sweep(project: Project, config_name: str, arguments: list[str]) -> None:
    """Compose every job of a grid, or the first trial of an Optuna search, as the sweeper would."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.utils import get_class

    from {{ cookiecutter.package_name }}.sweeps.search_space import (
        parse_search_space,
        trial_overrides,
    )

    parsed = OverridesParser.create().parse_overrides(arguments)
    hydra_overrides = [o.input_line for o in parsed if o.get_key_element().startswith("hydra")]
    task = [o for o in parsed if not o.get_key_element().startswith("hydra")]
    fixed = [o.input_line for o in task if not o.is_sweep_override()]
    cfg = project.compose(config_name, [*hydra_overrides, *fixed], hydra=True)
    if cfg.hydra.sweeper._target_.endswith("OptunaSweeper"):
        searched, constant = parse_search_space(
            OmegaConf.to_container(cfg.hydra.sweeper.params), [o.input_line for o in task]
        )
        assert searched, f"nothing to search in {arguments}"
        first = {
            name: space.choices[0] if hasattr(space, "choices") else space.low
            for name, space in searched.items()
        }
        jobs = [trial_overrides(first, constant)]
    else:
        sweeps = [o for o in task if o.is_sweep_override()]
        grid = [[f"{o.get_key_element()}={value}" for value in o.sweep_string_iterator()] for o in sweeps]
        jobs = [[*fixed, *combination] for combination in itertools.product(*grid)]
    for job in jobs:
        project.compose(config_name, [*hydra_overrides, *job], hydra=True)
    # The sweeper's and the launcher's classes take these options (a missing plugin or option fails here).
    for node in (cfg.hydra.sweeper, cfg.hydra.launcher):
        options = OmegaConf.to_container(node, resolve=True)
        inspect.signature(get_class(options.pop("_target_"))).bind(**options)


def run_dashboard(project: Project, command: str) -> None:
    from {{ cookiecutter.package_name }}.reporting.dashboard import main

    (run_dir,) = [project.fill_placeholders(word) for word in shlex.split(command)[3:]]
    main([run_dir])
    assert (Path(run_dir) / "report.html").is_file()


def run_make(project: Project, command: str) -> None:
    """`make -n` (`make help` for real); recipe lines that call an entry point are checked like it."""
    words = shlex.split(command)
    if words[1:] == ["help"]:
        result = subprocess.run(words, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "make install" in result.stdout, result.stdout + result.stderr
        return
    result = subprocess.run(
        ["make", "-n", *words[1:]], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for line in result.stdout.splitlines():
        called = re.fullmatch(rf"\S*/python -m ({PACKAGE}\.\w+)(.*)", line.strip())
        if not called:
            continue
        module, arguments = called[1].split(".", 1)[1], shlex.split(called[2])
        if module == "publish_card":
            run_publish_card(project, arguments)
        else:
            assert module in VERBS, line
            project.compose(module, arguments)


def run_publish_card(project: Project, arguments: list[str]) -> None:
    from {{ cookiecutter.package_name }}.publish_card import main

    task = arguments[arguments.index("--task") + 1] if "--task" in arguments else "train"
    project.trained(() if task == "train" else (f"experiment={task}",))
    output = project.root / "docs" / "MODEL_CARD.md"
    main([*arguments, "--logs", str(project.root / "logs"), "--output", str(output)])
    assert output.read_text().startswith("---")


def collect_tests(project: Project, command: str) -> None:
    command_line = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command_line, *shlex.split(command)[3:]],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and " collected" in result.stdout, result.stdout + result.stderr


def activate_venv(project: Project, command: str) -> None:
    venv = [sys.executable, "-m", "venv", "--without-pip", ".venv"]
    assert subprocess.run(venv, cwd=project.root, timeout=120).returncode == 0
    script = f"{command} && python -c 'import sys; print(sys.prefix)'"
    result = subprocess.run(
        ["bash", "-c", script], cwd=project.root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).resolve() == (project.root / ".venv").resolve()


RULES = [
    Rule("entry point", rf"python -m <package>\.({'|'.join(VERBS)})( .*)?", run_entry_point),
    Rule("report", r"python -m <package>\.reporting\.dashboard \S+", run_dashboard),
    Rule("make target", r"make [a-z][a-z-]*( [A-Z]+=.*)?", run_make),
    Rule("test file", r"python -m pytest \S+", collect_tests),
    Rule("activation", r"source \.venv/bin/activate", activate_venv),
    *(rule for part in PARTS for rule in part.RULES),
]


def rule_for(command: str, rules: list[Rule] = RULES) -> Rule:
    return find_rule(command, rules, "tests/docs/test_readme_commands.py (RULES, or NOT_RUN with the reason)")


# --- The tests -------------------------------------------------------------------------------------------


def test_the_extractor_joins_continuations_drops_comments_and_splits_chains():
    text = (
        "Intro `make help` and `make -n`.\n\n```bash\n# a comment line \\\nmake install && source x  # go\n"
        "python -m pkg.train a=1 \\\n    'b=[c, d]' \\\n    e=\"f # g && h\"   # trailing\n\n"
        "curl -d '{\"a\": 1}'\ndocker build -t my-proj-api . && ls my-proj-2\n```\n\n"
        "```python\nimport os\n```\n\n```\nlogs/ tree\n```\n"
    )
    assert readme_commands(text, {"pkg": "<package>", "my-proj": "<slug>"}) == [
        "make install",
        "source x",
        "python -m <package>.train a=1 'b=[c, d]' e=\"f # g && h\"",
        "curl -d '{\"a\": 1}'",
        "docker build -t <slug>-api .",
        "ls <slug>-2",
        "make help",
    ]


def test_a_one_word_project_name_keeps_the_package_and_the_slug_apart():
    # "Lab" gives the slug `lab` and the package `lab`: a module path is the package, the rest the slug.
    text = "```bash\npython -m lab.train\ndocker build -t lab-api .\n```\n"
    assert readme_commands(text, {"lab.": "<package>.", "lab": "<slug>"}) == [
        "python -m <package>.train",
        "docker build -t <slug>-api .",
    ]


def test_a_command_without_exactly_one_rule_fails():
    with pytest.raises(AssertionError, match="no rule"):
        rule_for("kubectl apply -f api.yaml")
    overlapping = [*RULES, Rule("any make", r"make .+", run_make)]
    with pytest.raises(AssertionError, match="matches"):
        rule_for("make install", overlapping)


def test_every_readme_command_has_exactly_one_rule():
    assert len(COMMANDS) > 40  # the bash blocks were found
    for command in COMMANDS:
        rule_for(command)


def test_every_command_that_cannot_run_is_in_the_readme_with_a_reason():
    assert set(NOT_RUN) <= set(COMMANDS), set(NOT_RUN) - set(COMMANDS)
    assert all(NOT_RUN.values())


@pytest.mark.parametrize("command", COMMANDS, ids=COMMANDS)
def test_readme_command(command, project, monkeypatch):
    monkeypatch.chdir(project.root)
    project.run(command)
