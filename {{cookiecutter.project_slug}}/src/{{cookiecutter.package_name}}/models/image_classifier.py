"""An image classifier: a ResNet18 backbone that turns images into features, and a new linear head that
turns features into class scores. Training minimises cross-entropy between scores and true labels."""

from collections.abc import Mapping
from functools import partial
from typing import Any

import torch
from torch import nn

from .backbones import RESNET18_FEATURES, build_resnet18_backbone
from .base import BaseModel, optimization_hyperparameters
from .classification_metrics import classification_metrics


class ImageClassifier(BaseModel):
    """Hyperparameters are plain values so that `save_hyperparameters` keeps checkpoints safe to load.

    `optimizer` and `scheduler` come from `configs/optimizer/` and `configs/scheduler/` and are built in
    `configure_optimizers`; `class_names` travel with the checkpoint for evaluation and prediction.
    """

    def __init__(
        self,
        num_classes: int,
        optimizer: Mapping,
        scheduler: Mapping | None = None,
        class_names: list[str] | None = None,
        weights: str | None = None,
        freeze_backbone: bool = False,
        dropout: float = 0.0,
        channels_last: bool = False,
    ) -> None:
        super().__init__(metrics=partial(classification_metrics, num_classes), num_classes=num_classes)
        self.save_hyperparameters(
            {
                "num_classes": int(num_classes),
                **optimization_hyperparameters(optimizer, scheduler),
                "class_names": list(class_names) if class_names else [str(i) for i in range(num_classes)],
                # The backbone's trained weights are in the checkpoint itself: rebuilding it from the
                # checkpoint must not download or read the original weights file again.
                "weights": None,
                "freeze_backbone": bool(freeze_backbone),
                "dropout": float(dropout),
                "channels_last": bool(channels_last),
            }
        )
        self.backbone = build_resnet18_backbone(weights)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(RESNET18_FEATURES, num_classes))
        if freeze_backbone:
            self.backbone.requires_grad_(False)
        self.loss = nn.CrossEntropyLoss()
        if channels_last:
            # NHWC: the layout GPU convolution kernels prefer with mixed precision; same results.
            self.to(memory_format=torch.channels_last)

    is_regression = False

    @property
    def architecture(self) -> str:
        frozen = ", backbone frozen" if self.hparams.freeze_backbone else ""
        return (
            f"ResNet18 backbone (512 features) + dropout {self.hparams.dropout} + linear head to "
            f"{self.hparams.num_classes} classes{frozen}; cross-entropy loss"
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.hparams.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        return self.head(self.backbone(images))

    def loss_of(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The training loss of the network's `logits` for `labels`."""
        return self.loss(logits, labels)

    def predictions(self, logits: torch.Tensor) -> torch.Tensor:
        """Class probabilities."""
        return logits.softmax(dim=-1)

    def target_values(self, labels: torch.Tensor) -> torch.Tensor:
        return labels

    def data_arguments(self) -> dict[str, Any]:
        """Image data needs nothing from the checkpoint; its classes are checked after loading."""
        return {}

    def on_train_epoch_start(self) -> None:
        super().on_train_epoch_start()
        # A fully frozen backbone is a fixed feature extractor: eval mode keeps its batch-norm statistics
        # too. Once a fine-tuning schedule unfreezes it, it trains like the rest.
        frozen = not any(parameter.requires_grad for parameter in self.backbone.parameters())
        self.backbone.train(not frozen)
