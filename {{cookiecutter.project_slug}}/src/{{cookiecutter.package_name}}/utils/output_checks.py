"""Refuse to start a run whose outputs cannot be written: a log folder that cannot be created or written,
or a disk without room for the checkpoints. Found at start-up, instead of at the first checkpoint an
epoch (or a day) later, when the work done would be lost."""

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import OutputError

# At the peak of a run: the best checkpoint, its successor before the old one is deleted, last.ckpt and
# on_exception.ckpt.
CHECKPOINTS_AT_ONCE = 4
# A checkpoint holds the weights and, for Adam(W), two moments per weight.
CHECKPOINT_SIZE_PER_WEIGHT_BYTES = 3
# Logs, reports, predictions, explanations and, with the serving part, the exported bundle.
OTHER_OUTPUTS_BYTES = 100 * 2**20
FIX = "choose another folder with paths.log_dir=<folder> (or fix its permissions)"
CHECKPOINT_FIX = (
    "choose another folder with paths.log_dir=<folder>, or with callbacks.<name>.dirpath=<folder> where you "
    "set one; a resumed run saves into the checkpoints folder of the run it resumes"
)


class OutputDirectoryError(OutputError):
    """The run's outputs cannot be written; the message names the folder, the reason and the fix."""


def check_writable(directory: Path, fix: str = FIX) -> None:
    """Create `directory` if needed and write a file into it, or raise OutputDirectoryError saying `fix`."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise OutputDirectoryError(
            f"Cannot write into {directory}: {reason}. Nothing was run: {fix}."
        ) from None


def check_free_space(directory: Path, needed_bytes: int, what: str, fix: str = FIX) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed_bytes:
        raise OutputDirectoryError(
            f"Only {free / 2**20:.0f} MiB free under {directory}; {what} need about "
            f"{needed_bytes / 2**20:.0f} MiB. Nothing was run: free some space, or {fix}."
        )


def checkpoint_bytes(model: Any) -> int:
    """About how large one checkpoint of `model` (with its optimizer state) is on disk."""
    weights = sum(tensor.numel() * tensor.element_size() for tensor in model.state_dict().values())
    return CHECKPOINT_SIZE_PER_WEIGHT_BYTES * weights


def check_run_outputs(checkpoint_dirs: Iterable[Path], model: Any) -> None:
    """Every checkpoint folder can be written and has room for the checkpoints and reports."""
    needed = CHECKPOINTS_AT_ONCE * checkpoint_bytes(model) + OTHER_OUTPUTS_BYTES
    for folder in sorted(set(checkpoint_dirs)):
        check_writable(folder, CHECKPOINT_FIX)
        check_free_space(folder, needed, f"{CHECKPOINTS_AT_ONCE} checkpoints and the reports", CHECKPOINT_FIX)
