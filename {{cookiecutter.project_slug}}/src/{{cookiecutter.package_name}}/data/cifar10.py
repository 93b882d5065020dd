"""CIFAR-10 (60,000 32x32 colour images, 10 classes), downloaded by torchvision on first use."""

from pathlib import Path
from typing import Any
from urllib.error import URLError

from torch.utils.data import Subset
from torchvision.datasets import CIFAR10
from torchvision.transforms import v2

from ..errors import DataError
from .base import ClassificationDataModule
from .splits import stratified_holdout
from .transforms import DeviceNormalisation, final_steps

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


def train_transform(normalise: bool = True) -> v2.Compose:
    """The usual CIFAR-10 augmentation: random 32 px crops of the image padded by 4, horizontal flips."""
    return v2.Compose(
        [
            v2.ToImage(),
            v2.RandomCrop(32, padding=4),
            v2.RandomHorizontalFlip(),
            *final_steps(CIFAR10_MEAN, CIFAR10_STD, normalise),
        ]
    )


def eval_transform(normalise: bool = True) -> v2.Compose:
    return v2.Compose([v2.ToImage(), *final_steps(CIFAR10_MEAN, CIFAR10_STD, normalise)])


class CIFAR10DataModule(ClassificationDataModule):
    kind = "cifar10"
    image_size = 32
    normalisation = {"mean": list(CIFAR10_MEAN), "std": list(CIFAR10_STD)}

    def __init__(
        self,
        data_dir: str,
        val_fraction: float = 0.1,
        batch_size: int = 128,
        num_workers: int = 4,
        pin_memory: bool = False,
        split_seed: int = 42,
        normalise_on_device: bool = False,
    ) -> None:
        super().__init__(batch_size, num_workers, pin_memory)
        if normalise_on_device:
            self.device_normalisation = DeviceNormalisation(CIFAR10_MEAN, CIFAR10_STD)
        self.data_dir = Path(data_dir)
        self.val_fraction = val_fraction
        self.split_seed = split_seed

    @property
    def class_names(self) -> list[str]:
        return ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def prepare_data(self) -> None:
        """Download once (on one process in multi-GPU runs); a clear error when there is no network."""
        try:
            CIFAR10(self.data_dir, train=True, download=True)
            CIFAR10(self.data_dir, train=False, download=True)
        except (URLError, OSError) as error:
            raise DataError(
                f"Could not download CIFAR-10 into {self.data_dir} ({error}). On a machine without "
                f"internet, download {CIFAR10.url} elsewhere and extract it into {self.data_dir} "
                "(giving cifar-10-batches-py/), or train on the bundled data with data=digits."
            ) from error

    @property
    def files_dir(self) -> Path:
        """The folder of the dataset's files, as torchvision extracts them."""
        return self.data_dir / CIFAR10.base_folder

    def description(self) -> dict[str, Any]:
        """Adds the size evaluation resizes to: the images' own, as they need no crop."""
        return {**super().description(), "eval_resize": self.image_size}

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        normalise = self.device_normalisation is None
        augmented = CIFAR10(self.data_dir, train=True, transform=train_transform(normalise))
        plain = eval_transform(normalise)
        unaugmented = CIFAR10(self.data_dir, train=True, transform=plain)
        # The official test set stays untouched; validation is a seeded, stratified slice of train.
        indices = range(len(augmented.targets))
        train, val = stratified_holdout(indices, augmented.targets, self.val_fraction, self.split_seed)
        self.train_set, self.val_set = Subset(augmented, train), Subset(unaugmented, val)
        self.test_set = CIFAR10(self.data_dir, train=False, transform=plain)
