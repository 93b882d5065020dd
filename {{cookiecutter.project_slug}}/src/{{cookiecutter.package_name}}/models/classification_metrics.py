"""The classification metrics every model reports, defined once: image and table models (and the tables'
classical baselines) are scored on the same definitions."""

from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score


def classification_metrics(
    num_classes: int, sync_on_compute: bool = True, validate_args: bool = True
) -> MetricCollection:
    """Accuracy and macro F1. `sync_on_compute=False` for values one process computes alone (under DDP the
    others are not there to gather from); `validate_args=False` skips the checks of every batch's labels,
    which wait for the device (see `step_logging.FIT_METRICS`)."""
    checks = {"sync_on_compute": sync_on_compute, "validate_args": validate_args}
    return MetricCollection(
        {
            "acc": MulticlassAccuracy(num_classes, average="micro", **checks),
            "f1": MulticlassF1Score(num_classes, average="macro", **checks),
        }
    )
