"""A callback the fault tests add from the command line: it kills its own process with SIGKILL, which no
code can catch or clean up after, the way the kernel's out-of-memory killer or a crashed node would."""

import os
import signal

from lightning.pytorch import Callback, LightningModule, Trainer


class KillAtEpochStart(Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # Every checkpoint of the epoch before is on disk by now: they are saved before this hook.
        if trainer.current_epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)
