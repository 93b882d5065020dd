"""What a tabular model minimises (its loss) and how it is judged (its metrics), per task.

The metrics also score the classical baselines, so the network and the baselines are compared on
exactly the same definitions.
"""

from collections.abc import Sequence

import torch
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAUROC
from torchmetrics.regression import MeanAbsoluteError, MeanSquaredError, R2Score

from ..errors import ConfigError
from .classification_metrics import classification_metrics

REGRESSION, CLASSIFICATION = "regression", "classification"
REGRESSION_LOSSES = {"mse": nn.MSELoss, "l1": nn.L1Loss, "huber": nn.HuberLoss}
CLASSIFICATION_LOSSES = ("cross_entropy", "bce")


def task_metrics(
    task: str, num_classes: int | None = None, sync_on_compute: bool = True, validate_args: bool = True
) -> MetricCollection:
    """Regression: RMSE, MAE, R^2 in the target's units. Classification: accuracy, macro F1, AUROC.

    `sync_on_compute=False` for values computed by one process alone (under DDP the others are not there
    to gather from). `validate_args=False` skips the classification metrics' checks of every batch's
    labels, which wait for the device (see `base.FIT_METRICS`). Accuracy and F1 are the image
    model's (`classification_metrics`).
    """
    sync = {"sync_on_compute": sync_on_compute}
    if task == REGRESSION:
        return MetricCollection(
            {
                "rmse": MeanSquaredError(squared=False, **sync),
                "mae": MeanAbsoluteError(**sync),
                "r2": R2Score(**sync),
            }
        )
    metrics = classification_metrics(num_classes, sync_on_compute, validate_args)
    metrics.add_metrics({"auroc": MulticlassAUROC(num_classes, validate_args=validate_args, **sync)})
    return metrics


def default_loss(task: str, num_classes: int | None) -> str:
    if task == REGRESSION:
        return "mse"
    return "bce" if num_classes == 2 else "cross_entropy"


def check_loss(loss: str, task: str, num_classes: int | None) -> None:
    choices = list(REGRESSION_LOSSES) if task == REGRESSION else list(CLASSIFICATION_LOSSES)
    if loss not in choices:
        raise ConfigError(f"model.loss={loss!r} does not suit {task}: choose one of {choices} (or null).")
    if loss == "bce" and num_classes != 2:
        raise ConfigError(
            f"model.loss=bce needs two classes, but the target has {num_classes}: use cross_entropy."
        )


def resolve_class_weights(
    class_weights: str | Sequence[float] | None,
    num_classes: int | None,
    class_counts: Sequence[int] | None = None,
) -> list[float] | None:
    """One weight per class. `balanced` weighs each class by n_rows / (n_classes * its rows), so rare
    classes count as much; it needs the training split's `class_counts`. A checkpoint stores the result."""
    if class_weights is None:
        return None
    if num_classes is None:
        raise ConfigError(
            "model.class_weights applies to classification only: set it to null for regression."
        )
    if class_weights == "balanced":
        if class_counts is None:
            raise ConfigError("model.class_weights=balanced needs the training split's class counts.")
        total = sum(class_counts)
        return [total / (num_classes * max(count, 1)) for count in class_counts]
    weights = [float(weight) for weight in class_weights]
    if len(weights) != num_classes or min(weights) <= 0:
        raise ConfigError(
            f"model.class_weights={weights} needs one positive weight per class ({num_classes}), "
            "or `balanced`."
        )
    return weights


def build_loss(loss: str, class_weights: Sequence[float] | None) -> nn.Module:
    if loss in REGRESSION_LOSSES:
        return REGRESSION_LOSSES[loss]()
    weights = torch.tensor(class_weights) if class_weights else None
    if loss == "bce":
        # One output, the logit of the second class; pos_weight scales that class against the first.
        pos_weight = None if weights is None else weights[1:] / weights[0]
        return nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    return nn.CrossEntropyLoss(weight=weights)
