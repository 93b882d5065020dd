"""The classification metrics every model reports, defined once: image and table models (and the tables'
classical baselines) are scored on the same definitions."""

import torch
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score


def classification_metrics(
    num_classes: int, sync_on_compute: bool = True, validate_args: bool = True
) -> MetricCollection:
    """Accuracy and macro F1. `sync_on_compute=False` for values one process computes alone (under DDP the
    others are not there to gather from); `validate_args=False` skips the checks of every batch's labels,
    which wait for the device (see `base.FIT_METRICS`)."""
    checks = {"sync_on_compute": sync_on_compute, "validate_args": validate_args}
    return MetricCollection(
        {
            "acc": MulticlassAccuracy(num_classes, average="micro", **checks),
            "f1": MacroF1Score(num_classes, **checks),
        }
    )


class MacroF1Score(MulticlassF1Score):
    """torchmetrics' macro-averaged F1, counting each batch's outcomes per class without `torch.bincount`.

    torchmetrics counts them with `torch.bincount`, which on a GPU reads its input's largest value back to
    the host to size its result: a wait for every queued kernel at every step (torchmetrics avoids it only
    in deterministic mode, at a cost in memory of batch x classes^2). A fixed-size `scatter_add_` counts
    the same without asking the host anything (and has a deterministic kernel for
    `trainer.deterministic=true`). With `validate_args=True` torchmetrics' own update runs:
    its label checks read the labels on the host anyway."""

    def __init__(self, num_classes: int, sync_on_compute: bool = True, validate_args: bool = True) -> None:
        # Only what `update` handles: no top_k, ignore_index or per-sample averages.
        super().__init__(
            num_classes, average="macro", sync_on_compute=sync_on_compute, validate_args=validate_args
        )

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        if self.validate_args:
            super().update(preds, target)
            return
        # Scores (one column per class) or class indices, as torchmetrics accepts them with top_k=1.
        predicted = preds.argmax(dim=1) if preds.ndim == target.ndim + 1 else preds
        self._update_state(*outcomes_per_class(predicted.reshape(-1), target.reshape(-1), self.num_classes))


def outcomes_per_class(
    predicted: torch.Tensor, target: torch.Tensor, num_classes: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """True positives, false positives, true negatives and false negatives of each class, for class
    indices `predicted` and `target`."""
    target = target.long()

    def count(classes: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        counts = torch.zeros(num_classes, dtype=torch.long, device=target.device)
        return counts.scatter_add_(0, classes, weights)

    ones = torch.ones_like(target)
    true_positives = count(target, (predicted == target).long())
    false_positives = count(predicted.long(), ones) - true_positives
    false_negatives = count(target, ones) - true_positives
    true_negatives = target.numel() - true_positives - false_positives - false_negatives
    return true_positives, false_positives, true_negatives, false_negatives
