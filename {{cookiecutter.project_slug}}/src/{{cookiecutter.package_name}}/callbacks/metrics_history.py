"""`history.csv`: one row per epoch with every epoch-level metric, for learning curves.

Independent of the chosen logger (CSV, TensorBoard, W&B, MLflow, none), so the run's report can always
draw its curves. The rows travel in checkpoints, so a resumed run's history starts at epoch 0.
"""

import csv
from pathlib import Path
from typing import Any

from lightning.pytorch import Callback, LightningModule, Trainer

from ..run_directory import HISTORY


class MetricsHistory(Callback):
    def __init__(self, dirpath: str | Path) -> None:
        self.path = Path(dirpath) / HISTORY
        self.rows: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # Runs after the epoch's validation, so train and val metrics of the same epoch share a row.
        row = {"epoch": trainer.current_epoch, "step": trainer.global_step}
        for name, value in sorted(trainer.callback_metrics.items()):
            if not name.endswith("_step") and value.numel() == 1:
                row[name.removesuffix("_epoch")] = float(value)
        self.rows = [*(r for r in self.rows if r["epoch"] != row["epoch"]), row]
        if trainer.is_global_zero:
            self.write()

    def write(self) -> None:
        columns = list(dict.fromkeys(name for row in self.rows for name in row))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=columns)
            writer.writeheader()
            writer.writerows(self.rows)

    def state_dict(self) -> dict[str, Any]:
        return {"rows": self.rows}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rows = list(state_dict["rows"])
