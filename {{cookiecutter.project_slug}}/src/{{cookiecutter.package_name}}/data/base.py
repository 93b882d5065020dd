"""What every DataModule here shares: three splits and their loaders; classification adds class names."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import torch
from lightning.pytorch import LightningDataModule, LightningModule
from lightning.pytorch.utilities.model_helpers import is_overridden
from torch.utils.data import DataLoader, Dataset, RandomSampler, Subset, TensorDataset

if TYPE_CHECKING:
    import pandas as pd

SPLITS = ("train", "val", "test")


def labels_of(dataset: Dataset) -> list[int]:
    """Class indices of every example, without loading the examples (images are not decoded)."""
    if isinstance(dataset, Subset):
        labels = labels_of(dataset.dataset)
        return [labels[i] for i in dataset.indices]
    if isinstance(dataset, TensorDataset):
        return dataset.tensors[1].tolist()
    return list(dataset.targets)  # torchvision's ImageFolder and CIFAR10


class InMemoryTensors(TensorDataset):
    """Tensors already in memory, fetched a batch at a time: one indexing per tensor, instead of one per
    example and a stack of the examples, which costs more than a small model's whole training step."""

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        index = torch.as_tensor(indices)
        return tuple(tensor[index] for tensor in self.tensors)


def already_a_batch(batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """The collate function of InMemoryTensors, whose fetch returns whole batches."""
    return batch


class SplitDataModule(LightningDataModule):
    """Subclasses fill `train_set`, `val_set` and `test_set` in `setup` and say what the model needs."""

    # Which source this is ("digits", "table", ...): reporting and deployment look up how to fingerprint,
    # describe and serve the data by it.
    kind: str

    # Set when the loaders yield uint8 images, normalised once on the model's device (see `finish_batch`):
    # image data modules set it from their `normalise_on_device` argument.
    device_normalisation: Callable[[torch.Tensor], torch.Tensor] | None = None

    def __init__(self, batch_size: int, num_workers: int, pin_memory: bool) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.train_set: Dataset | None = None
        self.val_set: Dataset | None = None
        self.test_set: Dataset | None = None
        # The training set's order comes from this generator, whose state travels in checkpoints: a resumed
        # run draws the orders the run left alone would have drawn. Both generators are seeded from the
        # run's seed (seed_everything) without drawing from torch's global generator, which must hold
        # only what checkpoints restore (callbacks/random_state.py): dropout, in-process augmentation.
        # Offsets keep the three streams (weights, order, workers) apart though they share the seed.
        self.shuffle_generator = torch.Generator().manual_seed(torch.initial_seed() + 1)
        # Seeds of worker processes, drawn each time a loader starts its workers.
        self.worker_seed_generator = torch.Generator().manual_seed(torch.initial_seed() + 2)

    def state_dict(self) -> dict[str, Any]:
        return {"shuffle_generator": self.shuffle_generator.get_state()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if "shuffle_generator" in state_dict:  # absent from checkpoints of older versions of the project
            self.shuffle_generator.set_state(state_dict["shuffle_generator"])

    def model_arguments(self) -> dict[str, Any]:
        """Keyword arguments the model is built with (number of classes, input size, ...)."""
        raise NotImplementedError

    def description(self) -> dict[str, Any]:
        """Plain facts about the set-up data: its `kind`, split sizes and what each kind adds. The layers
        after training (run record, model card, bundle) describe the data from these in their own terms."""
        return {
            "kind": self.kind,
            "split_sizes": {name: len(getattr(self, f"{name}_set")) for name in SPLITS},
        }

    def test_examples(self) -> pd.DataFrame | None:
        """What identifies each test example (a table's columns, an image's file), in test order."""
        return None

    def _loader(self, dataset: Dataset | None, shuffle: bool) -> DataLoader:
        if dataset is None:
            raise RuntimeError(f"{type(self).__name__}.setup() must run before its dataloaders are used.")
        in_memory = isinstance(dataset, TensorDataset)
        return DataLoader(
            InMemoryTensors(*dataset.tensors) if in_memory else dataset,
            collate_fn=already_a_batch if in_memory else None,
            batch_size=self.batch_size,
            sampler=RandomSampler(dataset, generator=self.shuffle_generator) if shuffle else None,
            # A last training batch of one example breaks batch norm; dropping it loses nothing, as the
            # shuffle puts a different example there every epoch.
            drop_last=shuffle and len(dataset) % self.batch_size == 1,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            # Re-creating worker processes every epoch costs more than a small epoch takes.
            persistent_workers=self.num_workers > 0,
            generator=self.worker_seed_generator,
        )

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        """Lightning's hook, on the device, for every batch of training, validation and testing. Lightning
        calls a data module's hook instead of the model's: the model's own, if it has one (GPU
        augmentation, say), runs here after this one, on the finished batch."""
        batch = self.finish_batch(batch)
        if self.trainer is None:
            return batch
        # Lightning casts floating-point inputs to a `*-true` precision (bf16-true, 64-true) before the
        # transfer, when these were still uint8.
        batch = self.trainer.precision_plugin.convert_input(batch)
        model = self.trainer.lightning_module
        if is_overridden("on_after_batch_transfer", model, LightningModule):
            batch = model.on_after_batch_transfer(batch, dataloader_idx)
        return batch

    def finish_batch(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch as the model takes it, once its inputs are on the model's device: uint8 images become
        normalised floats there when `device_normalisation` is set (one pass over the batch on a GPU,
        instead of a per-image step in the loader's workers and four times the bytes to copy)."""
        if self.device_normalisation is None:
            return batch
        inputs, targets = batch
        return self.device_normalisation(inputs), targets

    def batches(
        self, split: str, device: torch.device | str = "cpu", max_batches: int | None = None
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The `split`'s batches (its first `max_batches`) for code outside the Trainer: inputs on `device`
        and ready for the model (`finish_batch`), targets where the loader put them."""
        loader = getattr(self, f"{split}_dataloader")()
        for inputs, targets in itertools.islice(loader, max_batches):
            yield self.finish_batch((inputs.to(device), targets))

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_set, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.test_set, shuffle=False)


class ClassificationDataModule(SplitDataModule):
    """Image classification data: subclasses name their classes and say how big their images are, and
    with which mean and standard deviation (`normalisation`) they are standardised."""

    image_size: int
    normalisation: dict[str, Any] | None

    @property
    def class_names(self) -> list[str]:
        raise NotImplementedError

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def model_arguments(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes, "class_names": self.class_names}

    def description(self) -> dict[str, Any]:
        """Adds the examples of each class in each split, and the images' size and normalisation."""
        counts = {}
        for name in SPLITS:
            per_class = torch.bincount(
                torch.tensor(labels_of(getattr(self, f"{name}_set"))), minlength=self.num_classes
            )
            counts[name] = dict(zip(self.class_names, per_class.tolist(), strict=True))
        return {
            **super().description(),
            "class_counts": counts,
            "image_size": self.image_size,
            "normalisation": self.normalisation,
        }
