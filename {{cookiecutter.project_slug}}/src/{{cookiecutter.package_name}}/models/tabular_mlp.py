"""An MLP for tables: regression (one output) or classification (one logit per class, or a single logit
for binary cross-entropy). Input size comes from the fitted preprocessing, which travels in the
checkpoint too, so a checkpoint alone turns raw rows into predictions."""

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import torch

from ..data.tabular_preprocessing import in_target_units
from .base import BaseModel, optimization_hyperparameters
from .hparams import as_plain_dict
from .mlp import build_mlp
from .tabular_objectives import (
    REGRESSION,
    build_loss,
    check_loss,
    default_loss,
    resolve_class_weights,
    task_metrics,
)


class TabularMLP(BaseModel):
    def __init__(
        self,
        input_size: int,
        task: str,
        optimizer: Mapping,
        scheduler: Mapping | None = None,
        hidden_sizes: Sequence[int] = (64, 32),
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
        loss: str | None = None,
        class_weights: str | Sequence[float] | None = None,
        class_names: Sequence[str] | None = None,
        class_counts: Sequence[int] | None = None,
        preprocessing: Mapping[str, Any] | None = None,
    ) -> None:
        num_classes = None if task == REGRESSION else len(class_names or [])
        super().__init__(metrics=partial(task_metrics, task, num_classes), num_classes=num_classes)
        loss = loss or default_loss(task, num_classes)
        check_loss(loss, task, num_classes)
        class_weights = resolve_class_weights(class_weights, num_classes, class_counts)
        self.save_hyperparameters(
            {
                "input_size": int(input_size),
                "task": task,
                **optimization_hyperparameters(optimizer, scheduler),
                "hidden_sizes": [int(size) for size in hidden_sizes],
                "activation": activation,
                "dropout": float(dropout),
                "batch_norm": bool(batch_norm),
                "loss": loss,
                "class_weights": class_weights,  # resolved: a checkpoint needs no class counts
                "class_names": list(class_names) if class_names else None,
                "preprocessing": as_plain_dict(preprocessing),
            }
        )
        outputs = 1 if task == REGRESSION or loss == "bce" else num_classes
        self.network = build_mlp(input_size, hidden_sizes, outputs, activation, dropout, batch_norm)
        self.loss = build_loss(loss, class_weights)

    @property
    def is_regression(self) -> bool:
        return self.hparams.task == REGRESSION

    @property
    def architecture(self) -> str:
        hp = self.hparams
        layers = " -> ".join(
            str(size) for size in [hp.input_size, *hp.hidden_sizes, self.network[-1].out_features]
        )
        extras = ", batch norm" if hp.batch_norm else ""
        return f"MLP {layers} ({hp.activation}, dropout {hp.dropout}{extras}); {hp.loss} loss"

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Raw outputs: standardised values (regression) or logits (classification)."""
        return self.network(inputs)

    def loss_of(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The training loss of the network's `outputs` for `targets`."""
        if self.is_regression or self.hparams.loss == "bce":
            return self.loss(outputs.squeeze(-1), targets.float())
        return self.loss(outputs, targets)

    def predictions(self, outputs: torch.Tensor) -> torch.Tensor:
        """Values in the target's own units (regression) or class probabilities (classification)."""
        if self.is_regression:
            return in_target_units(outputs.squeeze(-1), self.hparams.preprocessing)
        if outputs.shape[-1] == 1:
            positive = torch.sigmoid(outputs)
            return torch.cat([1 - positive, positive], dim=-1)
        return outputs.softmax(dim=-1)

    def target_values(self, targets: torch.Tensor) -> torch.Tensor:
        """Targets as the metrics see them: in the target's own units (regression), class indices."""
        return in_target_units(targets, self.hparams.preprocessing) if self.is_regression else targets

    def data_arguments(self) -> dict[str, Any]:
        """What the DataModule needs to transform new data exactly as in training."""
        return {"preprocessing": self.hparams.preprocessing}
