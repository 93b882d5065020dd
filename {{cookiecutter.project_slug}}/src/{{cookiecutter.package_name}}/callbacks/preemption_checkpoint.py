"""Saves `last.ckpt` when the run is told to stop (SIGTERM: a cluster's pre-emption or time limit, `kill`),
so the next launch with `ckpt_path=last` resumes from where it stopped instead of the last epoch's end."""

from pathlib import Path

from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_info
from lightning.pytorch.utilities.exceptions import SIGTERMException

from ..utils.checkpoints import LAST_CHECKPOINT_NAME


class PreemptionCheckpoint(Callback):
    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        # Only a stop request: after a crash (a NaN, a bug) the last good checkpoint must stay as it is.
        if isinstance(exception, SIGTERMException) and not trainer.sanity_checking:
            # Every process takes part (Lightning stops them all together), as saving needs.
            path = self.dirpath / LAST_CHECKPOINT_NAME
            trainer.save_checkpoint(path)
            rank_zero_info(f"SIGTERM: saved {path} at step {trainer.global_step}.")
