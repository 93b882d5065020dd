"""Optuna sweeps: search-space syntax, resumable studies, failing trials, the summary, and a real sweep."""

import json
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import optuna
import pytest
import torch
from hydra.core.utils import JobReturn, JobStatus
from hydra.utils import get_class
from omegaconf import OmegaConf
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState
from tests.conftest import offline_wandb_runs

from {{ cookiecutter.package_name }}.callbacks.optuna_pruning import OptunaPruning
from {{ cookiecutter.package_name }}.config import PROJECT_ROOT
from {{ cookiecutter.package_name }}.errors import ConfigError
from {{ cookiecutter.package_name }}.run_directory import RUN_RECORD, read_json
from {{ cookiecutter.package_name }}.sweeps.runner import SweepFailedError, run_study
from {{ cookiecutter.package_name }}.sweeps.search_space import parse_search_space

PACKAGE = "{{ cookiecutter.package_name }}"  # whose entry points run in subprocesses

SEARCH_SPACE = {"model.optimizer.lr": "tag(log, interval(1e-4, 1e-2))", "data.batch_size": "choice(32, 64)"}


def test_hydra_sweep_syntax_becomes_optuna_distributions():
    params = {
        "lr": "tag(log, interval(1e-4, 1e-2))",
        "dropout": "interval(0.0, 0.5)",
        "depth": "range(1, 4)",
        "hidden": "choice([64,32], [128])",
        "seed": "7",
    }
    searched, fixed = parse_search_space(params, ["dropout=0.25", "extra=choice(a, b)"])
    assert searched["lr"] == FloatDistribution(1e-4, 1e-2, log=True)
    assert searched["depth"] == IntDistribution(1, 3)
    assert searched["hidden"] == CategoricalDistribution(["[64,32]", "[128]"])
    assert searched["extra"] == CategoricalDistribution(["a", "b"])
    # The command line wins over the config: dropout is fixed for this sweep.
    assert "dropout" not in searched
    assert sorted(fixed) == ["dropout=0.25", "seed=7"]


class FakeLauncher:
    """Runs each trial's overrides through `objective` instead of training: fast and deterministic."""

    def __init__(self, objective, sweep_dir: Path) -> None:
        self.objective = objective
        self.sweep_dir = sweep_dir
        self.launched: list[list[str]] = []

    def launch(self, job_overrides, initial_job_idx: int) -> list[JobReturn]:
        results = []
        for number, overrides in enumerate(job_overrides, start=initial_job_idx):
            self.launched.append(list(overrides))
            values = dict(override.split("=", 1) for override in overrides)
            result = JobReturn(overrides=list(overrides), status=JobStatus.COMPLETED)
            result.hydra_cfg = OmegaConf.create(
                {"hydra": {"runtime": {"output_dir": str(self.sweep_dir / str(number))}}}
            )
            try:
                result.return_value = self.objective(values)
            except Exception as error:  # noqa: BLE001 - recorded as the job's failure, as Hydra's launchers do
                result.status, result.return_value = JobStatus.FAILED, error
            results.append(result)
        return results


# Named by string: its module sits beside the package, so an import line would sort by the package's name.
SWEEPER_MODULE = "hydra_plugins.{{ cookiecutter.package_name }}_sweeper.optuna_sweeper"
OptunaSweeper = get_class(f"{SWEEPER_MODULE}.OptunaSweeper")


def make_sweeper(tmp_path: Path, objective, **options):
    settings = {
        "study_name": "study",
        "storage": f"sqlite:///{tmp_path}/optuna.db",
        "direction": "min",
        "n_trials": 4,
    }
    sweeper = OptunaSweeper(
        params=SEARCH_SPACE, sampler=optuna.samplers.TPESampler(seed=0), **{**settings, **options}
    )
    sweeper.config = OmegaConf.create(
        {"hydra": {"sweep": {"dir": str(tmp_path / "sweep")}}, "data": {"path": "a.csv"}}
    )
    sweeper.sampler_config = {"_target_": "optuna.samplers.TPESampler", "seed": 0}
    sweeper.launcher = FakeLauncher(objective, tmp_path / "sweep")
    sweeper.validate_batch_is_legal = lambda batch: None  # composing configs is the real launcher's job
    return sweeper


def learning_rate_objective(values: dict[str, str]) -> float:
    return abs(math.log10(float(values["model.optimizer.lr"])) + 3)


def test_a_sweep_runs_the_requested_trials_and_writes_its_summary(tmp_path):
    study = run_study(make_sweeper(tmp_path, learning_rate_objective), ["trainer.max_epochs=2"])
    assert [trial.state for trial in study.trials] == [TrialState.COMPLETE] * 4
    sweep_dir = tmp_path / "sweep"
    summary = json.loads((sweep_dir / "sweep_summary.json").read_text())
    assert summary["best"]["value"] == min(trial.value for trial in study.trials)
    assert summary["states"]["COMPLETE"] == 4 and summary["failed"] == []
    assert len((sweep_dir / "trials.csv").read_text().splitlines()) == 5
    assert (sweep_dir / "trials.md").read_text().startswith("| number | state | value |")
    page = (sweep_dir / "sweep_report.html").read_text()
    for plot in ("optimization history", "param importances", "parallel coordinate"):
        assert f"<h2>{plot}</h2>" in page
    assert page.count("window.PlotlyConfig") == 1  # plotly.js embedded once for the three plots
    # Trials best first: this study minimises, so the table's objective values ascend.
    values = sorted(trial.value for trial in study.trials)
    positions = [page.index(f"<td>{value:.4g}</td>") for value in values]
    assert positions == sorted(positions)
    assert f"Best: trial {summary['best']['number']}" in page


def test_a_configuration_error_stops_the_sweep_at_its_first_trial(tmp_path):
    def misspelled(values: dict[str, str]) -> float:
        raise ConfigError("model.dropot: ... Did you mean dropout?")

    sweeper = make_sweeper(tmp_path, misspelled, n_trials=4)
    with pytest.raises(ConfigError, match="Did you mean dropout"):
        run_study(sweeper, [])
    assert len(sweeper.launcher.launched) == 1  # not one trial per configuration problem


def test_a_killed_sweep_resumes_without_repeating_finished_trials(tmp_path):
    first = make_sweeper(tmp_path, learning_rate_objective, n_trials=2)
    run_study(first, [])
    # A kill mid-trial leaves that trial RUNNING in the study's database.
    study = optuna.load_study(study_name="study", storage=first.storage)
    cut_short = study.ask(
        {name: distribution for name, distribution in parse_search_space(SEARCH_SPACE, [])[0].items()}
    )
    finished_before = {
        trial.number: trial.params for trial in study.trials if trial.state == TrialState.COMPLETE
    }

    resumed = make_sweeper(tmp_path, learning_rate_objective, n_trials=4)
    study = run_study(resumed, [])
    complete = [trial for trial in study.trials if trial.state == TrialState.COMPLETE]
    assert len(complete) == 4
    # Two new trials ran: the one cut short (same parameters, re-queued) and one more; no finished one.
    assert len(resumed.launcher.launched) == 2
    assert complete[2].params == cut_short.params
    assert {trial.number: trial.params for trial in complete[:2]} == finished_before
    # The relaunched sampler does not replay the first launch's draws.
    assert complete[3].params not in [*finished_before.values(), cut_short.params]
    assert study.trials[cut_short.number].state == TrialState.FAIL
    summary = json.loads((tmp_path / "sweep" / "sweep_summary.json").read_text())
    assert (summary["interrupted"], summary["failed"]) == ([cut_short.number], [])


def test_failing_and_nan_trials_are_recorded_and_the_others_complete(tmp_path):
    calls = iter(range(10))

    def flaky(values: dict[str, str]) -> float:
        call = next(calls)
        if call == 1:
            raise RuntimeError("CUDA out of memory (injected)")
        return float("nan") if call == 2 else learning_rate_objective(values)

    sweeper = make_sweeper(tmp_path, flaky, n_trials=4)
    with pytest.raises(
        SweepFailedError, match=r"2 trial\(s\) failed: trial 1 \(RuntimeError: CUDA out of memory"
    ):
        run_study(sweeper, [])
    study = optuna.load_study(study_name="study", storage=sweeper.storage)
    assert [trial.state.name for trial in study.trials] == ["COMPLETE", "FAIL", "FAIL", "COMPLETE"]
    summary = json.loads((tmp_path / "sweep" / "sweep_summary.json").read_text())
    assert summary["failed"][1] == {
        "number": 2,
        "reason": "the objective is nan",
        "output_dir": str(tmp_path / "sweep" / "2"),
    }


def test_pruned_trials_are_recorded_as_pruned_not_failed(tmp_path):
    calls = iter(range(10))

    def pruned_after_the_first(values: dict[str, str]) -> float:
        if next(calls) > 0:
            raise optuna.TrialPruned("val/loss at epoch 2 trails the other trials")
        return 1.0

    sweeper = make_sweeper(tmp_path, pruned_after_the_first, n_trials=3, pruner=optuna.pruners.MedianPruner())
    sweeper.pruner_config = {"_target_": "optuna.pruners.MedianPruner", "n_warmup_steps": 2}
    study = run_study(sweeper, [])
    assert [trial.state.name for trial in study.trials] == ["COMPLETE", "PRUNED", "PRUNED"]
    summary = json.loads((tmp_path / "sweep" / "sweep_summary.json").read_text())
    assert (summary["pruned"], summary["failed"]) == ([1, 2], [])
    # With a pruner, each run is told where its trial lives, so it can report every epoch's metric.
    launched = dict(override.split("=", 1) for override in sweeper.launcher.launched[0])
    assert launched["optuna_trial.study_name"] == "'study'"
    assert launched["optuna_trial.trial_id"].isdigit()
    assert launched["optuna_trial.pruner"] == "{_target_:'optuna.pruners.MedianPruner',n_warmup_steps:2}"


def test_the_pruning_callback_stops_a_trial_that_trails_the_others(tmp_path):
    storage = f"sqlite:///{tmp_path}/optuna.db"
    study = optuna.create_study(study_name="s", storage=storage)
    leader = study.ask()
    leader.report(0.1, step=0)
    study.tell(leader, 0.1)
    trailing = study.ask()
    pruner = {"_target_": "optuna.pruners.MedianPruner", "n_startup_trials": 1}
    callback = OptunaPruning(storage, "s", trailing._trial_id, pruner, monitor="val/loss")
    trainer = SimpleNamespace(
        sanity_checking=False, current_epoch=0, callback_metrics={"val/loss": torch.tensor(5.0)}
    )
    with pytest.raises(optuna.TrialPruned, match="val/loss at epoch 0 trails the other trials"):
        callback.on_validation_end(trainer, None)
    assert study.trials[1].intermediate_values == {0: 5.0}


def test_a_relaunch_with_another_search_space_or_data_is_refused(tmp_path):
    run_study(make_sweeper(tmp_path, learning_rate_objective, n_trials=1), [])
    other_space = make_sweeper(tmp_path, learning_rate_objective)
    other_space.params = {**SEARCH_SPACE, "data.batch_size": "choice(16, 32)"}
    with pytest.raises(
        ValueError, match="already exists with another search_space. Give this sweep its own name"
    ):
        run_study(other_space, [])
    other_data = make_sweeper(tmp_path, learning_rate_objective)
    other_data.config.data.path = "b.csv"
    with pytest.raises(ValueError, match="another data"):
        run_study(other_data, [])


def test_trials_whose_launch_fails_are_recorded_as_failed(tmp_path):
    sweeper = make_sweeper(tmp_path, learning_rate_objective, n_trials=2)

    def broken_launch(job_overrides, initial_job_idx):
        raise OSError("sbatch: command not found")

    sweeper.launcher.launch = broken_launch
    with pytest.raises(
        SweepFailedError, match=r"trial 0 \(could not be launched: OSError: sbatch: command not found\)"
    ):
        run_study(sweeper, [])


def test_a_sweep_stops_once_too_many_trials_fail(tmp_path):
    def broken(values: dict[str, str]) -> float:
        raise ValueError("data.path does not exist")

    sweeper = make_sweeper(tmp_path, broken, n_trials=10, max_failure_rate=0.2)
    with pytest.raises(SweepFailedError, match="3 trial"):
        run_study(sweeper, [])
    assert len(sweeper.launcher.launched) == 3  # more than 20% of 10 trials failed: no fourth launch


def test_a_sweep_without_a_search_space_says_how_to_give_one(tmp_path):
    sweeper = make_sweeper(tmp_path, learning_rate_objective)
    sweeper.params = {}
    with pytest.raises(ValueError, match="Nothing to search: set hydra.sweeper.params"):
        run_study(sweeper, ["trainer.max_epochs=2"])


def multirun(log_dir: Path, *overrides: str, debug: str = "fdr") -> tuple[Path, optuna.Study | None]:
    """`train -m debug=<debug> <overrides>` in a fresh process: (its sweep directory, its Optuna study)."""
    command = [sys.executable, "-m", f"{PACKAGE}.train", "-m", f"debug={debug}", *overrides]
    result = subprocess.run(
        [*command, f"paths.log_dir={log_dir}"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep_dir,) = (log_dir / "debug" / "multiruns").iterdir()
    storage = log_dir / "optuna.db"
    study = (
        optuna.load_study(study_name="debug", storage=f"sqlite:///{storage}") if storage.exists() else None
    )
    return sweep_dir, study


@pytest.mark.slow
def test_a_real_three_trial_sweep_from_the_command_line(tmp_path):
    sweep_dir, study = multirun(tmp_path, "hparams_search=tabular_optuna", "hydra.sweeper.n_trials=3")
    assert [trial.state for trial in study.trials] == [TrialState.COMPLETE] * 3
    assert json.loads((sweep_dir / "sweep_summary.json").read_text())["states"]["COMPLETE"] == 3
    assert sorted(path.name for path in sweep_dir.iterdir() if path.is_dir()) == ["0", "1", "2"]
    # tabular_optuna prunes, so every trial reported its validation loss to the study.
    assert all(trial.intermediate_values for trial in study.trials)


@pytest.mark.slow
def test_a_sweep_through_the_submitit_launcher(tmp_path):
    # submitit_local: the SLURM launcher's code path (a process per job, pickled config), without SLURM.
    overrides = ["hparams_search=tabular_optuna", "hydra/launcher=submitit_local", "hydra.sweeper.n_trials=2"]
    sweep_dir, study = multirun(tmp_path, *overrides)
    assert [trial.state for trial in study.trials] == [TrialState.COMPLETE] * 2
    assert (sweep_dir / ".submitit").is_dir()
    assert len(list(sweep_dir.glob("*/metrics.json"))) == 2


@pytest.mark.slow
def test_a_plain_grid_multirun_still_works(tmp_path):
    sweep_dir, study = multirun(tmp_path, "experiment=tabular_synthetic", "model.optimizer.lr=1e-3,1e-2")
    assert study is None  # Hydra's own grid sweeper, not Optuna
    assert len(list(sweep_dir.glob("*/metrics.json"))) == 2


def assert_one_wandb_run_per_trial(sweep_dir: Path, trials: int) -> None:
    trial_dirs = sorted(path for path in sweep_dir.iterdir() if path.name.isdigit())
    runs = [offline_wandb_runs(trial) for trial in trial_dirs]
    # One W&B run in each trial's directory, none shared.
    assert [len(run_ids) for run_ids in runs] == [1] * trials, runs
    assert len({run_ids[0] for run_ids in runs}) == trials, runs
    groups = {read_json(trial / RUN_RECORD)["config"]["logger"]["wandb"]["group"] for trial in trial_dirs}
    assert groups == {f"debug-{sweep_dir.name}"}


# fast_dev_run (debug=fdr) switches the loggers off: these trials train on a few real batches instead.
TINY_TRIALS = ["trainer.max_epochs=1", "trainer.limit_train_batches=2", "trainer.limit_val_batches=1"]
TINY_TRIALS += ["trainer.limit_test_batches=1", "compare_baselines=false", "explain.after_training=false"]
TINY_TRIALS += ["logger=wandb"]


@pytest.mark.slow
def test_each_trial_of_a_grid_multirun_logs_into_its_own_wandb_run(tmp_path, offline_wandb):
    # Hydra's basic launcher runs both trials in one process, where Lightning would reuse an open W&B run.
    overrides = ["experiment=tabular_synthetic", "model.optimizer.lr=1e-3,3e-3", *TINY_TRIALS]
    sweep_dir, _ = multirun(tmp_path, *overrides, debug="limit")
    assert_one_wandb_run_per_trial(sweep_dir, trials=2)


@pytest.mark.slow
def test_each_trial_of_an_optuna_sweep_logs_into_its_own_wandb_run(tmp_path, offline_wandb):
    overrides = ["hparams_search=tabular_optuna", "hydra.sweeper.n_trials=2", *TINY_TRIALS]
    sweep_dir, study = multirun(tmp_path, *overrides, debug="limit")
    assert [trial.state for trial in study.trials] == [TrialState.COMPLETE] * 2
    assert_one_wandb_run_per_trial(sweep_dir, trials=2)
