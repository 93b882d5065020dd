"""Stops an Optuna trial early when its validation metric trails the other trials' at the same epoch.

The sweeper hands each trial its place in the study (storage, study name, trial id) through the
`optuna_trial` config, so this works wherever the trial runs: in the sweeping process or a launched one.
"""

from collections.abc import Mapping

import optuna
from hydra.utils import instantiate
from lightning.pytorch import Callback, LightningModule, Trainer


class OptunaPruning(Callback):
    def __init__(self, storage: str, study_name: str, trial_id: int, pruner: Mapping, monitor: str) -> None:
        study = optuna.load_study(study_name=study_name, storage=storage, pruner=instantiate(pruner))
        self.trial = optuna.trial.Trial(study, trial_id)
        self.monitor = monitor

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking or self.monitor not in trainer.callback_metrics:
            return
        self.trial.report(float(trainer.callback_metrics[self.monitor]), step=trainer.current_epoch)
        if self.trial.should_prune():
            # The sweeper records the trial as pruned; the run directory keeps what it wrote so far.
            raise optuna.TrialPruned(
                f"{self.monitor} at epoch {trainer.current_epoch} trails the other trials: pruned."
            )
