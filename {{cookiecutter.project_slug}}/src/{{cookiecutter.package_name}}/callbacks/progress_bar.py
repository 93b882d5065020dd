"""Lightning's rich progress bar, updated a fixed number of times per second instead of at every batch.

Lightning's bar updates at every batch: it reads every progress-bar metric (a host-device synchronisation
per metric on a GPU) and rebuilds its display, which costs a small model more than its training step. Here
a batch updates the bar only when `1 / refresh_rate` seconds have passed since the last update, and at the
last batch of a loop so that the bar ends full (or at the end of an epoch cut short, where it stopped); the
display itself redraws at the same rate. A disabled bar (every process but the first under DDP) is left to
Lightning, which skips it."""

from time import monotonic
from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import RichProgressBar


class ThrottledRichProgressBar(RichProgressBar):
    def __init__(self, refresh_rate: int = 10, **kwargs: Any) -> None:
        super().__init__(refresh_rate=refresh_rate, **kwargs)
        self._next_update = 0.0
        self._train_batches_done = 0

    def due(self, batch_idx: int, total_batches: float) -> bool:
        """Whether the batch `batch_idx` (0-based) of `total_batches` updates the bar."""
        now = monotonic()
        if now < self._next_update and batch_idx + 1 < total_batches:
            return False
        self._next_update = now + 1 / max(self.refresh_rate, 1)
        return True

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self._train_batches_done = batch_idx + 1
        if self.is_disabled or self.due(batch_idx, self.total_train_batches):
            super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # An epoch can end before its last batch (max_steps, a stop signal): show where it stopped.
        self._update(self.train_progress_bar_id, self._train_batches_done)
        super().on_train_epoch_end(trainer, pl_module)

    # Evaluation hooks take the same arguments: (trainer, module, outputs, batch, batch_idx, dataloader_idx).
    def on_validation_batch_end(self, trainer, module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        if self.is_disabled or self.due(batch_idx, self.total_val_batches_current_dataloader):
            super().on_validation_batch_end(trainer, module, outputs, batch, batch_idx, dataloader_idx)

    def on_test_batch_end(self, trainer, module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        if self.is_disabled or self.due(batch_idx, self.total_test_batches_current_dataloader):
            super().on_test_batch_end(trainer, module, outputs, batch, batch_idx, dataloader_idx)

    def on_predict_batch_end(self, trainer, module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        if self.is_disabled or self.due(batch_idx, self.total_predict_batches_current_dataloader):
            super().on_predict_batch_end(trainer, module, outputs, batch, batch_idx, dataloader_idx)
