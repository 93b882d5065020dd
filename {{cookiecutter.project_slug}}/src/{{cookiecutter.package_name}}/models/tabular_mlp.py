"""An MLP for tables: regression (one output) or classification (one logit per class, or a single logit
for binary cross-entropy), optionally over piecewise-linear embeddings of the numeric columns
(`numeric_embedding: piecewise_linear`, numeric_embeddings.py). Input size comes from the fitted
preprocessing, which travels in the checkpoint too, so a checkpoint alone turns raw rows into predictions."""

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import torch
from torch import nn

from ..data.tabular_preprocessing import in_target_units
from ..errors import ConfigError
from .base import BaseModel, optimization_hyperparameters
from .hparams import as_plain_dict
from .mlp import build_mlp
from .numeric_embeddings import NumericEmbeddings, fit_bin_edges
from .tabular_objectives import (
    REGRESSION,
    build_loss,
    check_loss,
    default_loss,
    resolve_class_weights,
    task_metrics,
)

PIECEWISE_LINEAR = "piecewise_linear"


class TabularMLP(BaseModel):
    """`numeric_embedding`: None (standardised numbers go straight in) or `piecewise_linear`, with
    `embedding_size` outputs per numeric column and up to `embedding_bins` bins, whose edges are fitted to
    `train_inputs` and kept as `bin_edges` (given instead when a checkpoint is loaded)."""

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
        numeric_embedding: str | None = None,
        embedding_size: int = 8,
        embedding_bins: int = 48,
        bin_edges: Mapping[str, list] | None = None,
        class_names: Sequence[str] | None = None,
        class_counts: Sequence[int] | None = None,
        preprocessing: Mapping[str, Any] | None = None,
        train_inputs: torch.Tensor | None = None,
    ) -> None:
        num_classes = None if task == REGRESSION else len(class_names or [])
        super().__init__(metrics=partial(task_metrics, task, num_classes), num_classes=num_classes)
        loss = loss or default_loss(task, num_classes)
        check_loss(loss, task, num_classes)
        class_weights = resolve_class_weights(class_weights, num_classes, class_counts)
        if numeric_embedding not in (None, PIECEWISE_LINEAR):
            raise ConfigError(
                f"model.numeric_embedding={numeric_embedding!r}: choose {PIECEWISE_LINEAR} or null."
            )
        if numeric_embedding and bin_edges is None:
            if train_inputs is None:
                raise ValueError(
                    "Piecewise-linear embeddings fit their bin edges to the training inputs: pass "
                    "train_inputs (a TabularDataModule's model_arguments() has them) or saved bin_edges."
                )
            numeric_columns = len((preprocessing or {}).get("fitted", {}).get("numeric", []))
            bin_edges = fit_bin_edges(train_inputs, numeric_columns, embedding_bins)
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
                "numeric_embedding": numeric_embedding,
                "embedding_size": int(embedding_size),
                "embedding_bins": int(embedding_bins),
                # Fitted to the training inputs; a checkpoint rebuilds the embeddings from these alone.
                "bin_edges": as_plain_dict(bin_edges) if numeric_embedding else None,
                "class_names": list(class_names) if class_names else None,
                "preprocessing": as_plain_dict(preprocessing),
            }
        )
        outputs = 1 if task == REGRESSION or loss == "bce" else num_classes
        self.embed: nn.Module = nn.Identity()
        if numeric_embedding and bin_edges["columns"]:
            columns, edges = bin_edges["columns"], bin_edges["edges"]
            self.embed = NumericEmbeddings(input_size, columns, edges, embedding_size)
            input_size = self.embed.output_size
        self.network = build_mlp(input_size, hidden_sizes, outputs, activation, dropout, batch_norm)
        self.loss = build_loss(loss, class_weights)

    @property
    def is_regression(self) -> bool:
        return self.hparams.task == REGRESSION

    @property
    def architecture(self) -> str:
        hp = self.hparams
        embedding, width = "", hp.input_size
        if isinstance(self.embed, NumericEmbeddings):
            most_bins = max(len(edges) - 1 for edges in hp.bin_edges["edges"])
            embedding = (
                f"piecewise-linear embeddings of {len(hp.bin_edges['columns'])} numeric column(s) (up to "
                f"{most_bins} bins, {hp.embedding_size} values each) -> "
            )
            width = self.embed.output_size
        layers = " -> ".join(str(size) for size in [width, *hp.hidden_sizes, self.network[-1].out_features])
        extras = ", batch norm" if hp.batch_norm else ""
        return f"{embedding}MLP {layers} ({hp.activation}, dropout {hp.dropout}{extras}); {hp.loss} loss"

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Raw outputs: standardised values (regression) or logits (classification)."""
        return self.network(self.embed(inputs))

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
