"""Your own images, one folder per class.

Two layouts are accepted:

    data_dir/train/<class>/*.jpg, data_dir/val/<class>/..., data_dir/test/<class>/...   (your own split)
    data_dir/<class>/*.jpg                                       (split here by a seeded, stratified ratio)
"""

from pathlib import Path
from typing import Any

import pandas as pd
from torch.utils.data import Subset
from torchvision.datasets import ImageFolder

from .base import ClassificationDataModule
from .fingerprint import folder_fingerprint
from .splits import stratified_split
from .transforms import IMAGENET_MEAN, IMAGENET_STD, eval_transform, train_transform

SPLIT_NAMES = ("train", "val", "test")


class ImageFolderDataModule(ClassificationDataModule):
    def __init__(
        self,
        data_dir: str,
        image_size: int = 224,
        val_fraction: float = 0.1,
        test_fraction: float = 0.2,
        batch_size: int = 32,
        num_workers: int = 2,
        pin_memory: bool = False,
        split_seed: int = 42,
    ) -> None:
        super().__init__(batch_size, num_workers, pin_memory)
        self.data_dir = Path(data_dir)
        self.image_size = image_size
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.split_seed = split_seed
        self._class_names: list[str] | None = None

    @property
    def has_split_folders(self) -> bool:
        present = [name for name in SPLIT_NAMES if (self.data_dir / name).is_dir()]
        if present and len(present) < len(SPLIT_NAMES):
            missing = sorted(set(SPLIT_NAMES) - set(present))
            raise FileNotFoundError(
                f"{self.data_dir} has {'/'.join(present)}/ but not {'/'.join(missing)}/: provide all of "
                "train/, val/ and test/, or put the class folders directly in data_dir to split them here."
            )
        return bool(present)

    @property
    def class_names(self) -> list[str]:
        if self._class_names is None:
            self._check_data_dir()
            root = self.data_dir / "train" if self.has_split_folders else self.data_dir
            self._class_names = ImageFolder(str(root)).classes
        return self._class_names

    def _check_data_dir(self) -> None:
        if not self.data_dir.is_dir():
            raise FileNotFoundError(
                f"Image folder {self.data_dir} does not exist: set data.data_dir to a folder with one "
                "sub-folder per class (or train/, val/ and test/ folders of class folders)."
            )

    def input_schema(self) -> dict[str, Any]:
        """What a prediction needs: any RGB image, resized and cropped as in evaluation."""
        return {
            "kind": "image",
            "shape": [3, self.image_size, self.image_size],
            "preprocessing": {
                "recipe": "resize_centre_crop",
                "resize": round(self.image_size * 256 / 224),
                "image_size": self.image_size,
                "mean": list(IMAGENET_MEAN),
                "std": list(IMAGENET_STD),
            },
        }

    def describe(self) -> dict[str, Any]:
        preprocessing = (
            f"training: random resized crop to {self.image_size} px and horizontal flip; evaluation: resize "
            f"and centre crop to {self.image_size} px; ImageNet mean/std normalisation"
        )
        return {
            **super().describe(),
            "source": f"image folder {self.data_dir.resolve()}",
            "preprocessing": preprocessing,
        }

    def test_examples(self) -> pd.DataFrame:
        subset = isinstance(self.test_set, Subset)
        files = [path for path, _ in (self.test_set.dataset if subset else self.test_set).samples]
        return pd.DataFrame({"file": [files[i] for i in self.test_set.indices] if subset else files})

    def fingerprint(self) -> dict[str, Any]:
        self._check_data_dir()
        return {"dataset": "image folder", **folder_fingerprint(self.data_dir)}

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        class_names = self.class_names  # also checks that data_dir exists
        train_tf, eval_tf = train_transform(self.image_size), eval_transform(self.image_size)
        if self.has_split_folders:
            splits = {name: ImageFolder(str(self.data_dir / name)) for name in SPLIT_NAMES}
            for name, dataset in splits.items():
                if dataset.classes != class_names:
                    raise ValueError(
                        f"{self.data_dir / name} has classes {dataset.classes}, but train/ has "
                        f"{class_names}: every split needs the same class folders."
                    )
            splits["train"].transform = train_tf
            splits["val"].transform = eval_tf
            splits["test"].transform = eval_tf
            self.train_set, self.val_set, self.test_set = (splits[name] for name in SPLIT_NAMES)
            return
        # One folder: two views of the same files, so training gets augmentation and evaluation does not.
        augmented = ImageFolder(str(self.data_dir), transform=train_tf)
        plain = ImageFolder(str(self.data_dir), transform=eval_tf)
        train, val, test = stratified_split(
            augmented.targets, self.val_fraction, self.test_fraction, self.split_seed
        )
        self.train_set = Subset(augmented, train)
        self.val_set, self.test_set = Subset(plain, val), Subset(plain, test)
