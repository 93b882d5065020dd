"""Per-example test predictions: the raw material of confidence intervals, fairness and the report.

`test_predictions.csv` holds one row per test example: an identifier (the row's columns for tables, the
file for image folders), the true value, the prediction, and class probabilities or the residual.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..models.base import TrainedModel
from ..run_directory import TEST_PREDICTIONS


@dataclass
class Predictions:
    """`outputs`: class probabilities (n, classes) or values in the target's units (n,)."""

    targets: np.ndarray
    outputs: np.ndarray
    class_names: list[str] | None

    @property
    def is_classification(self) -> bool:
        return self.class_names is not None

    @property
    def predicted(self) -> np.ndarray:
        return self.outputs.argmax(axis=1) if self.is_classification else self.outputs

    def table(self, examples: pd.DataFrame | None = None) -> pd.DataFrame:
        """One row per example; `examples` (same order) adds identifying columns in front."""
        if self.is_classification:
            names = np.array(self.class_names)
            columns = {
                "target": names[self.targets],
                "predicted": names[self.predicted],
                "correct": self.targets == self.predicted,
                "confidence": self.outputs.max(axis=1),
            }
            columns.update({f"p({name})": self.outputs[:, i] for i, name in enumerate(self.class_names)})
        else:
            columns = {
                "target": self.targets,
                "predicted": self.outputs,
                "residual": self.outputs - self.targets,
            }
        table = pd.DataFrame(columns)
        if examples is not None:
            # Only the examples predicted (all of them unless the test batches were limited).
            examples = examples.iloc[: len(table)].reset_index(drop=True)
            table = pd.concat([examples.add_prefix("input: "), table], axis=1)
        return table

    def write(self, output_dir: Path, examples: pd.DataFrame | None = None) -> Path:
        path = Path(output_dir) / TEST_PREDICTIONS
        self.table(examples).to_csv(path, index=False)
        return path


@torch.no_grad()
def predict(model: TrainedModel, batches: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> Predictions:
    """Run `model` (in eval mode) over `batches` of (inputs on the model's device, targets): a data
    module's `batches`. Inputs take the model's dtype (bf16 or float64 after a `*-true` precision run, as
    the trainer tested it); outputs come back as float32.

    Targets of a regression come back in the target's units, as the model's predictions do.
    """
    model.eval()
    targets, outputs = [], []
    for inputs, batch_targets in batches:
        outputs.append(model.predictions(model(inputs.to(model.dtype))).float().cpu())
        targets.append(batch_targets)
    class_names = None if model.is_regression else list(model.hparams.class_names)
    target_values = model.target_values(torch.cat(targets))
    return Predictions(target_values.numpy(), torch.cat(outputs).numpy(), class_names)
