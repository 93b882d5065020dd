"""Find the checkpoint a run should resume from or evaluate."""

import logging
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from ..errors import CheckpointError
from ..run_directory import CHECKPOINTS_DIR, LAST_CHECKPOINT, METRICS, RUN_RECORD, read_json
from .trackers import continue_tracker_runs

log = logging.getLogger(__name__)


def restarted_checkpoint(output_dir: str | Path) -> Path | None:
    """`last.ckpt` already in this run's own directory: the run was restarted in place (a SLURM job
    requeued by submitit after a pre-emption or time-out). A new run always gets a new directory."""
    path = Path(output_dir) / CHECKPOINTS_DIR / LAST_CHECKPOINT
    return path if path.is_file() else None


def resolve_checkpoint(
    ckpt_path: str | None, runs_dir: str | Path, this_run: str | Path | None = None, resuming: bool = False
) -> Path | None:
    """Turn `ckpt_path` into an existing file, or fail with CheckpointError.

    `None` means start fresh. `last` is `this_run`'s own `last.ckpt` when it has one (a run restarted in
    its directory, as a requeued cluster job is), else the newest `last.ckpt` of any run below `runs_dir`.
    `best` is the checkpoint that the newest `metrics.json` below `runs_dir` reports testing (a training
    run's best epoch). A run directory gives the checkpoint its run tested, or its `last.ckpt` when
    `resuming` (or when it tested none); anything else must be a checkpoint file. Asking for a checkpoint
    that does not exist is an error, never a silent fresh start.
    """
    if ckpt_path is None:
        return None
    runs_dir = Path(runs_dir)
    if str(ckpt_path) == "best":
        return newest_tested_checkpoint(runs_dir)
    if str(ckpt_path) == "last":
        return (this_run and restarted_checkpoint(this_run)) or newest_last_checkpoint(runs_dir)
    path = Path(ckpt_path)
    if path.is_dir():
        path = (None if resuming else tested_checkpoint(path)) or path / CHECKPOINTS_DIR / LAST_CHECKPOINT
    if not path.is_file():
        raise CheckpointError(
            f"Checkpoint {path} does not exist. Pass an existing .ckpt file, a run directory, or "
            "ckpt_path=last for the newest run's last checkpoint."
        )
    return path


def newest_last_checkpoint(runs_dir: Path) -> Path:
    candidates = list(runs_dir.rglob(f"{CHECKPOINTS_DIR}/{LAST_CHECKPOINT}"))
    if not candidates:
        raise CheckpointError(
            f"ckpt_path=last, but no run under {runs_dir} has a {CHECKPOINTS_DIR}/{LAST_CHECKPOINT}. "
            "Train without ckpt_path to start from scratch, or pass the path of a .ckpt file or a run "
            "directory."
        )
    return max(candidates, key=lambda path: path.stat().st_mtime)


def tested_checkpoint(run_dir: Path) -> Path | None:
    """The checkpoint that the run in `run_dir` tested, as its `metrics.json` names it, if it still exists."""
    named = read_json(run_dir / METRICS, default={}).get("checkpoint")
    return Path(named) if named and Path(named).is_file() else None


def newest_tested_checkpoint(runs_dir: Path) -> Path:
    """The checkpoint named by the newest `metrics.json` below `runs_dir` that names an existing file."""
    for metrics in sorted(runs_dir.rglob(METRICS), key=lambda path: path.stat().st_mtime, reverse=True):
        if read_json(metrics.parent / RUN_RECORD, default={}).get("checkpoint"):
            continue  # an evaluation run: it names the checkpoint it was given, not one it trained
        if tested := tested_checkpoint(metrics.parent):
            return tested
    raise CheckpointError(
        f"ckpt_path=best, but no finished run under {runs_dir} names an existing checkpoint in its "
        f"{METRICS}. Train first, or pass the path of a .ckpt file, a run directory or ckpt_path=last."
    )


def resume_checkpoint(cfg: DictConfig) -> Path | None:
    """The checkpoint training resumes from: `ckpt_path` (see `resolve_checkpoint`), else `last.ckpt` of
    this very run directory when the run was restarted in place; None for a fresh start. A resumed run
    keeps saving into the checkpoint folder it resumes from (`continue_checkpoints_in`)."""
    this_run = cfg.paths.output_dir
    resume_from = resolve_checkpoint(
        cfg.get("ckpt_path"), cfg.paths.runs_dir, this_run, resuming=True
    ) or restarted_checkpoint(this_run)
    if resume_from:
        log.info("Resuming from %s", resume_from)
        continue_checkpoints_in(cfg, resume_from.parent)
        continue_tracker_runs(cfg, resume_from)
    return resume_from


def continue_checkpoints_in(cfg: DictConfig, checkpoint_dir: Path) -> None:
    """Keep saving into the resumed run's checkpoint folder (not into a folder of downloaded files).

    ModelCheckpoint restores its best score and top-k list only when its folder is unchanged; in a new
    folder a resumed run could pick a worse "best" checkpoint than the one saved before the interruption.
    """
    if checkpoint_dir.name != CHECKPOINTS_DIR:
        return
    for name in ("model_checkpoint", "last_checkpoint", "exception_checkpoint"):
        if cfg.get("callbacks") and cfg.callbacks.get(name):
            cfg.callbacks[name].dirpath = str(checkpoint_dir)


def best_checkpoint(trainer: Any) -> str | None:
    """The checkpoint of the best epoch a fit saved; None without checkpointing (e.g. fast_dev_run)."""
    callback = trainer.checkpoint_callback
    if callback is None or not callback.best_model_path:
        log.warning("No best checkpoint was saved (e.g. fast_dev_run): testing the current weights.")
        return None
    return callback.best_model_path


def best_score(trainer: Any) -> dict[str, float]:
    """{`<monitored metric>_best`: its best value} after a fit that checkpointed, else {}."""
    callback = trainer.checkpoint_callback
    if callback is None or callback.best_model_score is None:
        return {}
    return {f"{callback.monitor}_best": float(callback.best_model_score)}
