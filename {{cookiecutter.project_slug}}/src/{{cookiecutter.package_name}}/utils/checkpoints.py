"""Find the checkpoint a run should resume from or evaluate."""

import json
from pathlib import Path

LAST_CHECKPOINT_NAME = "last.ckpt"
METRICS_FILE = "metrics.json"


def restarted_checkpoint(output_dir: str | Path) -> Path | None:
    """`last.ckpt` already in this run's own directory: the run was restarted in place (a SLURM job
    requeued by submitit after a pre-emption or time-out). A new run always gets a new directory."""
    path = Path(output_dir) / "checkpoints" / LAST_CHECKPOINT_NAME
    return path if path.is_file() else None


def resolve_checkpoint(ckpt_path: str | None, runs_dir: str | Path) -> Path | None:
    """Turn `ckpt_path` into an existing file, or fail loudly.

    `None` means start fresh; `last` means the newest `last.ckpt` of any run below `runs_dir`; `best` the
    checkpoint whose test metrics the newest `metrics.json` below `runs_dir` reports (a training run's best
    epoch); anything else is a checkpoint file or a run directory holding `checkpoints/last.ckpt`. Asking
    for a checkpoint that does not exist is an error, never a silent fresh start.
    """
    if ckpt_path is None:
        return None
    runs_dir = Path(runs_dir)
    if str(ckpt_path) == "best":
        return newest_tested_checkpoint(runs_dir)
    if str(ckpt_path) == "last":
        candidates = list(runs_dir.rglob(f"checkpoints/{LAST_CHECKPOINT_NAME}"))
        if not candidates:
            raise FileNotFoundError(
                f"ckpt_path=last, but no run under {runs_dir} has a checkpoints/{LAST_CHECKPOINT_NAME}. "
                "Train without ckpt_path to start from scratch, or pass the path of a .ckpt file."
            )
        return max(candidates, key=lambda path: path.stat().st_mtime)
    path = Path(ckpt_path)
    if path.is_dir():
        path = path / "checkpoints" / LAST_CHECKPOINT_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"Checkpoint {path} does not exist. Pass an existing .ckpt file, a run directory, or "
            "ckpt_path=last for the newest run's last checkpoint."
        )
    return path


def newest_tested_checkpoint(runs_dir: Path) -> Path:
    """The checkpoint named by the newest `metrics.json` below `runs_dir` that names an existing file."""
    for metrics in sorted(runs_dir.rglob(METRICS_FILE), key=lambda path: path.stat().st_mtime, reverse=True):
        named = json.loads(metrics.read_text()).get("checkpoint")
        if named and Path(named).is_file():
            return Path(named)
    raise FileNotFoundError(
        f"ckpt_path=best, but no finished run under {runs_dir} names an existing checkpoint in its "
        f"{METRICS_FILE}. Train first, or pass the path of a .ckpt file or ckpt_path=last."
    )
