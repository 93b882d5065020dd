"""One experiment-tracker run per run: the W&B and MLflow runs that a run opens end with it.

Hydra's basic launcher runs the jobs of a `-m` sweep one after another in one process, and Lightning's
WandbLogger logs into any W&B run still open in the process: unless each run finishes its W&B run, every
trial of a sweep logs into the first one's. So within `tracker_runs` (every verb's `started_run`), the
loggers that `instantiate_loggers` builds have their run ids written to the run directory
(`tracker_runs.json`), and their runs end with the run, however it ends. A resumed training run continues
the tracker runs of the run it resumes (`continue_tracker_runs`). TensorBoard and CSV write into the run
directory, so they need none of this. Groups and names are in the logger configs (config.py's resolvers
`tracker_group` and `tracker_run_name`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf, open_dict

from ..run_directory import TRACKER_RUNS, read_json, run_of_checkpoint, write_json

# Each tracker's key in tracker_runs.json.
WANDB, MLFLOW = "wandb", "mlflow"
# 128 + SIGINT: what shells report for a run stopped with Ctrl-C.
KEYBOARD_INTERRUPT_EXIT_CODE = 130


def tracker_kind(logger_class: type) -> str | None:
    """`wandb` or `mlflow` for Lightning's loggers of those trackers (and their subclasses), else None."""
    from lightning.pytorch.loggers import MLFlowLogger, WandbLogger

    if issubclass(logger_class, WandbLogger):
        return WANDB
    if issubclass(logger_class, MLFlowLogger):
        return MLFLOW
    return None


class RunTrackers:
    """The W&B and MLflow loggers of one run, and the file in its directory that keeps their run ids."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / TRACKER_RUNS
        self.loggers: list[tuple[str, Any]] = []

    def follow(self, logger: Any) -> None:
        """Open the logger's tracker run now, keep its id, and end it with the run."""
        from lightning.pytorch.utilities.rank_zero import rank_zero_only

        kind = tracker_kind(type(logger))
        if kind is None or rank_zero_only.rank != 0:  # other processes log nothing
            return
        write_json({**read_json(self.path, default={}), kind: open_tracker_run(kind, logger)}, self.path)
        self.loggers.append((kind, logger))

    def finish(self, error: BaseException | None) -> None:
        exit_code, status = run_outcome(error)
        for kind, logger in self.loggers:
            if kind == WANDB:
                logger.experiment.finish(exit_code=exit_code)
            else:
                logger.experiment.set_terminated(logger.run_id, status)


def open_tracker_run(kind: str, logger: Any) -> str:
    """Start (or continue) the logger's tracker run now rather than at its first metric; returns its id."""
    if kind == WANDB:
        return logger.experiment.id
    # A continued MLflow run was ended (FAILED, KILLED) by the run it continues: it is running again.
    logger.experiment.update_run(logger.run_id, status="RUNNING")
    return logger.run_id


CURRENT_RUN: ContextVar[RunTrackers | None] = ContextVar("tracker_runs", default=None)


@contextmanager
def tracker_runs(cfg: DictConfig) -> Iterator[None]:
    """Within: the tracker runs of the loggers built belong to this run, and end when the block ends."""
    trackers = RunTrackers(Path(cfg.paths.output_dir))
    # With fast_dev_run, Lightning swaps the loggers for a DummyLogger ("logging is suppressed"): a debugging
    # run opens no tracker run.
    token = CURRENT_RUN.set(None if OmegaConf.select(cfg, "trainer.fast_dev_run") else trackers)
    try:
        yield
    except BaseException as error:
        trackers.finish(error)
        raise
    else:
        trackers.finish(None)
    finally:
        CURRENT_RUN.reset(token)


def follow_tracker_runs(loggers: list[Any]) -> None:
    """Make the current run (`tracker_runs`) keep and end the runs of these loggers; outside one, nothing."""
    trackers = CURRENT_RUN.get()
    if trackers is None:
        return
    for logger in loggers:
        trackers.follow(logger)


def run_outcome(error: BaseException | None) -> tuple[int, str]:
    """(exit code for W&B, status for MLflow) of a run that ended with `error` (None: it completed).

    A pruned sweep trial stopped as designed; a SIGTERM ends a run with `SystemExit(143)`
    (callbacks/preemption_checkpoint.py): stopped from outside, as Ctrl-C, not failed."""
    from optuna import TrialPruned

    if error is None or isinstance(error, TrialPruned):
        return 0, "FINISHED"
    if isinstance(error, KeyboardInterrupt):
        return KEYBOARD_INTERRUPT_EXIT_CODE, "KILLED"
    if isinstance(error, SystemExit) and isinstance(error.code, int | None):
        return error.code or 0, "KILLED" if error.code else "FINISHED"
    return 1, "FAILED"


def continue_tracker_runs(cfg: DictConfig, checkpoint: Path) -> None:
    """Training resumed from `checkpoint`: continue the W&B and MLflow runs of the run directory that holds
    it (a run restarted in place continues its own). A checkpoint from elsewhere starts new tracker runs."""
    run_dir = run_of_checkpoint(checkpoint)
    if run_dir is None or not cfg.get("logger"):
        return
    saved = read_json(run_dir / TRACKER_RUNS, default={})
    for entry in cfg.logger.values():
        kind = tracker_kind(get_class(entry._target_)) if entry and "_target_" in entry else None
        if kind in saved:
            with open_dict(entry):
                entry.update(continue_arguments(kind, saved[kind]))


def continue_arguments(kind: str, run_id: str) -> dict[str, str]:
    """The logger's documented arguments that continue tracker run `run_id` rather than start a new one."""
    return {"id": run_id, "resume": "allow"} if kind == WANDB else {"run_id": run_id}
