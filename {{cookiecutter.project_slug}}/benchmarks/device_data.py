"""The bundled digits kept on the training device and repeated to fill a benchmark's timed window: a batch
then costs one indexing on the device, so that a GPU benchmark times the training step, not data loading
(the `dataloader` benchmark measures that)."""

import math
from typing import Any

import torch
from torch.utils.data import TensorDataset

from {{ cookiecutter.package_name }}.data.digits import DigitsDataModule


class DigitsOnDevice(DigitsDataModule):
    """DigitsDataModule's splits on `device`; the training split repeated until it holds at least
    `min_train_examples` (so that a window of large batches fits in one epoch)."""

    def __init__(self, device: str = "cuda", min_train_examples: int = 0, **digits: Any) -> None:
        # The batches are on the device already: nothing to pin, no worker processes to feed them.
        super().__init__(**{**digits, "num_workers": 0, "pin_memory": False})
        self.device = torch.device(device)
        self.min_train_examples = min_train_examples

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        super().setup(stage)
        images, labels = (tensor.to(self.device) for tensor in self.train_set.tensors)
        repeats = max(1, math.ceil(self.min_train_examples / len(labels)))
        self.train_set = TensorDataset(images.repeat(repeats, 1, 1, 1), labels.repeat(repeats))
        self.val_set = TensorDataset(*(tensor.to(self.device) for tensor in self.val_set.tensors))
        self.test_set = TensorDataset(*(tensor.to(self.device) for tensor in self.test_set.tensors))
