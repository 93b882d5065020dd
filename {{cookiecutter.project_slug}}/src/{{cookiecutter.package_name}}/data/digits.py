"""scikit-learn's bundled handwritten digits: 1,797 8x8 greyscale images, available offline."""

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from sklearn.datasets import load_digits
from torch.utils.data import TensorDataset

from ..errors import ConfigError
from .base import ClassificationDataModule
from .splits import stratified_split

DIGIT_SIZE = 8  # pixels, in each direction
MAX_PIXEL_VALUE = 16.0  # the digits' intensities run from 0 to 16


class DigitsDataModule(ClassificationDataModule):
    """Digits upsampled to `image_size` and repeated over 3 channels, so ResNet18 takes them unchanged.

    `classes` keeps a subset of the digits (e.g. [0, 1, 2, 3, 4]); their labels become 0..k-1 in that
    order, which is what the transfer-learning experiments use to make two different tasks.
    """

    kind = "digits"

    def __init__(
        self,
        classes: Sequence[int] | None = None,
        image_size: int = 32,
        val_fraction: float = 0.1,
        test_fraction: float = 0.2,
        batch_size: int = 64,
        num_workers: int = 0,
        pin_memory: bool = False,
        split_seed: int = 42,
    ) -> None:
        super().__init__(batch_size, num_workers, pin_memory)
        self.classes = list(range(10)) if classes is None else [int(c) for c in classes]
        unknown = sorted(set(self.classes) - set(range(10)))
        if unknown or len(set(self.classes)) < 2:
            raise ConfigError(
                f"data.classes={self.classes} must name at least two distinct digits from 0 to 9 "
                f"(unknown: {unknown})."
            )
        self.image_size = image_size
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.split_seed = split_seed
        self.normalisation: dict[str, float] | None = None  # the training split's, set by setup()

    @property
    def class_names(self) -> list[str]:
        return [str(c) for c in self.classes]

    @staticmethod
    def load() -> tuple[np.ndarray, np.ndarray]:
        """All 1,797 digits as read: (N, DIGIT_SIZE, DIGIT_SIZE) intensities and (N,) digits."""
        digits = load_digits()
        return digits.images, digits.target

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        all_images, all_digits = self.load()
        keep = [i for i, digit in enumerate(all_digits) if digit in self.classes]
        label_of_digit = {digit: label for label, digit in enumerate(self.classes)}
        labels = torch.tensor([label_of_digit[int(all_digits[i])] for i in keep])
        images = self._to_network_input(torch.tensor(all_images[keep], dtype=torch.float32))
        train, val, test = stratified_split(
            labels.tolist(), self.val_fraction, self.test_fraction, self.split_seed
        )
        # Normalise with training-split statistics only, so nothing about val/test leaks into training.
        mean, std = images[train].mean(), images[train].std()
        self.normalisation = {"mean": float(mean), "std": float(std)}
        images = (images - mean) / std
        self.train_set = TensorDataset(images[train], labels[train])
        self.val_set = TensorDataset(images[val], labels[val])
        self.test_set = TensorDataset(images[test], labels[test])

    def _to_network_input(self, images: torch.Tensor) -> torch.Tensor:
        """(N, DIGIT_SIZE, DIGIT_SIZE) intensities -> (N, 3, image_size, image_size) in [0, 1]."""
        images = (images / MAX_PIXEL_VALUE).unsqueeze(1)
        images = F.interpolate(images, size=self.image_size, mode="bilinear", align_corners=False)
        return images.expand(-1, 3, -1, -1).contiguous()
