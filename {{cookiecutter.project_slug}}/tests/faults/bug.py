"""A callback the error tests add from the command line: its hook raises an exception that no user input
caused, which is what a bug looks like."""

from lightning.pytorch import Callback, LightningModule, Trainer


class BugAtFitStart(Callback):
    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        raise RuntimeError("a bug in a callback")
