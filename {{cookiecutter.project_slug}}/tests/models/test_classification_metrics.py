"""Macro F1 without `torch.bincount` (a wait for the device at every step on a GPU) gives torchmetrics'
values exactly, whatever the batches hold."""

import pytest
import torch
from torchmetrics.classification import MulticlassF1Score

from {{ cookiecutter.package_name }}.models.classification_metrics import MacroF1Score


def batches(num_classes: int, scores: bool):
    generator = torch.Generator().manual_seed(num_classes)
    # The first batch lacks the last class in its targets and never predicts class 0: classes absent
    # from a batch, or never predicted, must still count.
    target = torch.randint(0, max(1, num_classes - 1), (7,), generator=generator)
    predicted = torch.randint(1, num_classes, (7,), generator=generator)
    yield (torch.nn.functional.one_hot(predicted, num_classes).float() if scores else predicted), target
    for size in (16, 1, 33):
        target = torch.randint(0, num_classes, (size,), generator=generator)
        logits = torch.randn(size, num_classes, generator=generator)
        yield (logits.softmax(dim=1) if scores else logits.argmax(dim=1)), target


@pytest.mark.parametrize("num_classes", [2, 3, 10])
@pytest.mark.parametrize("scores", [True, False], ids=["probabilities", "class indices"])
@pytest.mark.parametrize("validate_args", [False, True])
def test_macro_f1_matches_torchmetrics(num_classes, scores, validate_args):
    ours = MacroF1Score(num_classes, validate_args=validate_args)
    reference = MulticlassF1Score(num_classes, average="macro")
    for preds, target in batches(num_classes, scores):
        ours.update(preds, target)
        reference.update(preds, target)
        assert torch.equal(torch.stack(ours._final_state()), torch.stack(reference._final_state()))
    assert ours.compute() == pytest.approx(reference.compute().item())


def test_macro_f1_counts_without_bincount(monkeypatch):
    def bincount(*args, **kwargs):
        raise AssertionError("torch.bincount reads its input's range on the host on a GPU")

    monkeypatch.setattr(torch, "bincount", bincount)
    metric = MacroF1Score(3, validate_args=False)
    metric.update(torch.tensor([0, 2, 2, 1]), torch.tensor([0, 2, 1, 1]))
    # Class 0: F1 1; class 1: precision 1, recall 1/2, F1 2/3; class 2: precision 1/2, recall 1, F1 2/3.
    assert metric.compute().item() == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
