"""The bundled digits with their training split on the training device, repeated to fill a benchmark's
timed window, and fetched with indices already on that device: a batch then costs one indexing on the
device, so that a GPU benchmark times the training step, not data loading (`dataloader` measures that)."""

import math
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Sampler, TensorDataset

from {{ cookiecutter.package_name }}.data.base import InMemoryTensors, already_a_batch
from {{ cookiecutter.package_name }}.data.digits import DigitsDataModule

# Built once per process and settings: every measured run reuses them (11 GB at 224 px, seconds to make).
BUILT: dict[tuple, tuple[TensorDataset, TensorDataset, TensorDataset, dict[str, float]]] = {}


class DevicePermutations(Sampler[torch.Tensor]):
    """Full batches of a shuffled order, as index tensors on `device`. Indexing a GPU tensor with indices on
    the CPU copies them first, and that copy waits for everything queued on the GPU: a wait per batch. Here
    the only copy is one order per epoch."""

    def __init__(self, size: int, batch_size: int, device: torch.device, generator: torch.Generator) -> None:
        self.size, self.batch_size, self.device, self.generator = size, batch_size, device, generator

    def __iter__(self) -> Iterator[torch.Tensor]:
        order = torch.randperm(self.size, generator=self.generator).to(self.device)
        yield from order[: len(self) * self.batch_size].split(self.batch_size)

    def __len__(self) -> int:
        return self.size // self.batch_size


class DigitsOnDevice(DigitsDataModule):
    """DigitsDataModule with its training split on `device`, repeated until it holds at least
    `min_train_examples` (so that a window of large batches fits in one epoch). Validation and test stay
    on the CPU, where the project's evaluation expects them; Lightning moves their batches."""

    def __init__(self, device: str = "cuda", min_train_examples: int = 0, **digits: Any) -> None:
        # The training batches are on the device already: nothing to pin, no worker processes to feed them.
        super().__init__(**{**digits, "num_workers": 0, "pin_memory": False})
        self.device = torch.device(device)
        self.min_train_examples = min_train_examples

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        settings = (self.device, self.min_train_examples, self.image_size, tuple(self.classes))
        settings += (self.val_fraction, self.test_fraction, self.split_seed)
        if settings not in BUILT:
            super().setup(stage)
            images, labels = (tensor.to(self.device) for tensor in self.train_set.tensors)
            repeats = max(1, math.ceil(self.min_train_examples / len(labels)))
            train_set = TensorDataset(images.repeat(repeats, 1, 1, 1), labels.repeat(repeats))
            BUILT[settings] = (train_set, self.val_set, self.test_set, self.normalisation)
        self.train_set, self.val_set, self.test_set, self.normalisation = BUILT[settings]

    def train_dataloader(self) -> DataLoader:
        images, labels = self.train_set.tensors
        batches = DevicePermutations(len(labels), self.batch_size, self.device, self.shuffle_generator)
        return DataLoader(InMemoryTensors(images, labels), batch_sampler=batches, collate_fn=already_a_batch)
