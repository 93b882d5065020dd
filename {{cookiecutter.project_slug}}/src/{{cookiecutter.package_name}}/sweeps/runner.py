"""Run an Optuna study trial by trial through a Hydra launcher, persisted so that a killed sweep resumes.

Each trial is one training run (a Hydra job) whose return value, the `optimized_metric`, is the
objective. A trial that raises or returns NaN is recorded as failed and the sweep goes on, until more
than `max_failure_rate` of the requested trials have failed.
"""

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import optuna
from hydra.core.utils import JobReturn
from hydra.utils import instantiate
from omegaconf import OmegaConf
from optuna.distributions import BaseDistribution, distribution_to_json
from optuna.trial import Trial, TrialState

from ..errors import ConfigError, TrainingError
from .search_space import parse_search_space, trial_overrides
from .summary import write_summary, write_sweep_report

log = logging.getLogger(__name__)

DIRECTIONS = {"max": "maximize", "min": "minimize", "maximize": "maximize", "minimize": "minimize"}
INTERRUPTED = "interrupted_trials"  # study attribute: trials a killed sweep left running
IDENTITY = "identity"  # study attribute: search space, direction and data it was created for
# Data settings that change how batches are loaded, not which data: they may differ between launches.
DATA_LOADING_KEYS = {"batch_size", "num_workers", "pin_memory"}


class SweepFailedError(TrainingError):
    """Some trials failed: the summary lists them with their run directories."""


def open_study(
    study_name: str, storage: str | None, direction: str, sampler=None, pruner=None
) -> optuna.Study:
    """Create the study, or load it when one of that name is already in `storage` (a resumed sweep)."""
    if direction not in DIRECTIONS:
        raise ConfigError(f"hydra.sweeper.direction={direction!r}: choose one of {sorted(DIRECTIONS)}.")
    if storage and storage.startswith("sqlite:///"):
        Path(storage.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return optuna.create_study(
        study_name=study_name,
        storage=storage,
        sampler=sampler,
        pruner=pruner,
        direction=DIRECTIONS[direction],
        load_if_exists=True,
    )


def recover_interrupted(study: optuna.Study) -> list[int]:
    """Trials still `RUNNING` were cut short by a kill: close them as failed and queue their parameters
    again, so the resumed sweep runs them once more and repeats nothing that finished. This assumes one
    sweeping process per study: a second one running the same study at the same time would lose trials."""
    stale = study.get_trials(states=[TrialState.RUNNING])
    interrupted = [*study.user_attrs.get(INTERRUPTED, []), *(trial.number for trial in stale)]
    if stale:
        # Recorded first: a kill between the two steps must not count an interrupted trial as failed.
        study.set_user_attr(INTERRUPTED, interrupted)
    for trial in stale:
        study.tell(trial.number, state=TrialState.FAIL)
        study.enqueue_trial(trial.params)
    if stale:
        log.warning("Re-queued trials %s, which a previous run of this sweep left unfinished.", interrupted)
    return interrupted


def interrupted_trials(study: optuna.Study) -> set[int]:
    return set(study.user_attrs.get(INTERRUPTED, []))


def counted_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Finished trials that count towards n_trials: completed, pruned, or failed on their own."""
    interrupted = interrupted_trials(study)
    finished = study.get_trials(states=[TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL])
    return [trial for trial in finished if trial.number not in interrupted]


def failed_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return [trial for trial in counted_trials(study) if trial.state == TrialState.FAIL]


def pruning_overrides(sweeper: Any, trial: Trial) -> list[str]:
    """With a pruner, tell the run where its trial lives so it can report each epoch's metric."""
    if sweeper.pruner is None or not sweeper.storage:
        return []
    # Trial ids are the storage's keys; Optuna's Trial(study, trial_id) is how a process joins a trial.
    return [
        f"optuna_trial.storage={override_value(sweeper.storage)}",
        f"optuna_trial.study_name={override_value(sweeper.study_name)}",
        f"optuna_trial.trial_id={trial._trial_id}",
        f"optuna_trial.pruner={override_value(sweeper.pruner_config)}",
    ]


def override_value(value: object) -> str:
    """A plain value in Hydra's override syntax: quoted strings, null, true/false, {key: value}."""
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{key}:{override_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, str):
        return "'" + value.replace("'", "\\'") + "'"
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return repr(value)


def fail(study: optuna.Study, trial: Trial, failure: str) -> None:
    trial.set_user_attr("failure", failure[:500])
    study.tell(trial, state=TrialState.FAIL)
    log.warning("Trial %d failed: %s", trial.number, failure)


def record(study: optuna.Study, trial: Trial, job: JobReturn) -> None:
    """Tell the study how the trial's job ended."""
    if job.hydra_cfg is not None:
        trial.set_user_attr("output_dir", str(job.hydra_cfg.hydra.runtime.output_dir))
    try:
        value = job.return_value
    except optuna.TrialPruned as pruned:
        trial.set_user_attr("pruned", str(pruned))
        study.tell(trial, state=TrialState.PRUNED)
        log.info("Trial %d pruned: %s", trial.number, pruned)
        return
    except Exception as error:  # noqa: BLE001 - any error of a trial is that trial's failure, not the sweep's
        failure = f"{type(error).__name__}: {error}"
    else:
        if value is None:
            failure = "the run returned no objective: check optimized_metric"
        elif not math.isfinite(float(value)):
            failure = f"the objective is {value}"
        else:
            study.tell(trial, float(value))
            return
    fail(study, trial, failure)


def raise_configuration_error(job: JobReturn) -> None:
    """A bad configuration fails every trial alike: stop the sweep instead of spending its trials."""
    try:
        job.return_value  # noqa: B018 - raises the job's own error, if it had one
    except ConfigError:
        raise
    except Exception:  # noqa: BLE001 - other failures are the trial's own, recorded already
        return


def run_study(sweeper: Any, arguments: Sequence[str]) -> optuna.Study:
    """The sweep: ask the study for trials in batches of n_jobs, launch them, record their outcomes."""
    searched, fixed = parse_search_space(sweeper.params, arguments)
    if not searched:
        raise ConfigError(
            "Nothing to search: set hydra.sweeper.params (e.g. hparams_search=digits_optuna) or pass a sweep "
            "on the command line, such as model.optimizer.lr='tag(log, interval(1e-4, 1e-2))'."
        )
    if sweeper.pruner is not None and not sweeper.storage:
        log.warning("Pruning needs a storage the runs can reach (hydra.sweeper.storage): it is off.")
    study = open_study(
        sweeper.study_name, sweeper.storage, sweeper.direction, sweeper.sampler, sweeper.pruner
    )
    check_identity(study, study_identity(sweeper, searched))
    if study.trials:
        reseed_for_resume(study, sweeper.sampler_config)
    recover_interrupted(study)
    sweep_dir = Path(sweeper.config.hydra.sweep.dir)
    max_failures = sweeper.max_failure_rate * sweeper.n_trials
    while (done := len(counted_trials(study))) < sweeper.n_trials:
        if len(failed_trials(study)) > max_failures:
            log.error("Stopping: more than %.0f%% of the trials failed.", 100 * sweeper.max_failure_rate)
            break
        batch = [study.ask(searched) for _ in range(min(sweeper.n_jobs, sweeper.n_trials - done))]
        for trial in batch:
            # Job numbers follow trial numbers: trial N runs in <sweep dir>/N (known before it ends).
            trial.set_user_attr("output_dir", str(sweep_dir / str(trial.number)))
        overrides = [
            trial_overrides(trial.params, fixed) + pruning_overrides(sweeper, trial) for trial in batch
        ]
        try:
            sweeper.validate_batch_is_legal(overrides)
            jobs = sweeper.launcher.launch(overrides, initial_job_idx=batch[0].number)
        except Exception as error:  # noqa: BLE001 - a launch that fails fails its trials, not the sweep
            for trial in batch:
                fail(study, trial, f"could not be launched: {type(error).__name__}: {error}")
            continue
        for trial, job in zip(batch, jobs, strict=True):
            record(study, trial, job)
        write_summary(study, sweep_dir, sweeper.n_trials, failed_trials(study), interrupted_trials(study))
        for job in jobs:
            raise_configuration_error(job)

    summary = write_summary(
        study, sweep_dir, sweeper.n_trials, failed_trials(study), interrupted_trials(study)
    )
    report = write_sweep_report(study, sweep_dir, interrupted_trials(study))
    if summary["best"]:
        log.info("Best trial %(number)s: value %(value)s with %(params)s", summary["best"])
    log.info("Sweep summary and trial table: %s; trials compared in %s", sweep_dir, report)
    if summary["failed"]:
        listing = "; ".join(
            f"trial {t['number']} ({t['reason']}) in {t['output_dir']}" for t in summary["failed"]
        )
        raise SweepFailedError(f"{len(summary['failed'])} trial(s) failed: {listing}")
    return study


def study_identity(sweeper: Any, searched: Mapping[str, BaseDistribution]) -> dict[str, Any]:
    """What makes two launches the same study: search space, direction and data."""
    data = sweeper.config.get("data") if sweeper.config is not None else None
    data = OmegaConf.to_container(data, resolve=False) if data is not None else {}
    return {
        "search_space": {
            name: distribution_to_json(distribution) for name, distribution in sorted(searched.items())
        },
        "direction": DIRECTIONS[sweeper.direction],
        "data": {key: value for key, value in data.items() if key not in DATA_LOADING_KEYS},
    }


def check_identity(study: optuna.Study, identity: dict[str, Any]) -> None:
    """A relaunch continues its own study only: another search space, direction or dataset under the same
    study name would mix incomparable trials."""
    saved = study.user_attrs.get(IDENTITY)
    if saved is None:
        study.set_user_attr(IDENTITY, identity)
        return
    changed = [part for part in identity if saved.get(part) != identity[part]]
    if changed:
        raise ConfigError(
            f"Study {study.study_name!r} already exists with another {' and '.join(changed)}. Give this "
            "sweep its own name (hydra.sweeper.study_name=...) or, to start over, another storage."
        )


def reseed_for_resume(study: optuna.Study, sampler_config: Mapping[str, Any] | None) -> None:
    """A seeded sampler rebuilt on relaunch would draw the first launch's values again: offset its seed by
    the trials already in the study, which keeps the resumed sweep reproducible too."""
    if sampler_config and sampler_config.get("seed") is not None:
        study.sampler = instantiate(
            {**sampler_config, "seed": int(sampler_config["seed"]) + len(study.trials)}
        )
