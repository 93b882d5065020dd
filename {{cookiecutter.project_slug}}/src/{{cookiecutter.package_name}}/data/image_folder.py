"""Your own images, one folder per class.

Two layouts are accepted:

    data_dir/train/<class>/*.jpg, data_dir/val/<class>/..., data_dir/test/<class>/...   (your own split)
    data_dir/<class>/*.jpg                                       (split here by a seeded, stratified ratio)
"""

import logging
from pathlib import Path
from typing import Any

import pandas as pd
from torch.utils.data import Subset
from torchvision.datasets import ImageFolder
from torchvision.datasets.folder import IMG_EXTENSIONS

from ..errors import ConfigError, DataError
from .base import ClassificationDataModule
from .image_files import load_rgb, scan_images
from .splits import stratified_split
from .transforms import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    DeviceNormalisation,
    eval_resize,
    eval_transform,
    train_transform,
)

SPLIT_NAMES = ("train", "val", "test")
ON_BAD_FILE = ("error", "skip")
SHOWN_BAD_FILES = 20
log = logging.getLogger(__name__)


def is_image_file(path: Path) -> bool:
    """A file ImageFolder would load (an image extension), except hidden ones: macOS's `._photo.jpg`
    copies hold metadata, not an image."""
    return path.suffix.lower() in IMG_EXTENSIONS and not path.name.startswith(".") and path.is_file()


class BadImageFilesError(DataError):
    """Files of the image folder that do not decode, listed with the reason, found before training."""


class ImageFolderDataModule(ClassificationDataModule):
    kind = "image_folder"
    normalisation = {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)}

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
        on_bad_file: str = "error",
        normalise_on_device: bool = False,
    ) -> None:
        super().__init__(batch_size, num_workers, pin_memory)
        if normalise_on_device:
            self.device_normalisation = DeviceNormalisation(IMAGENET_MEAN, IMAGENET_STD)
        if on_bad_file not in ON_BAD_FILE:
            raise ConfigError(f"data.on_bad_file={on_bad_file!r} must be one of {list(ON_BAD_FILE)}.")
        self.on_bad_file = on_bad_file
        self._bad_files: dict[Path, str] | None = None
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
            raise DataError(
                f"{self.data_dir} has {'/'.join(present)}/ but not {'/'.join(missing)}/: provide all of "
                "train/, val/ and test/, or put the class folders directly in data_dir to split them here."
            )
        return bool(present)

    @property
    def class_names(self) -> list[str]:
        if self._class_names is None:
            self._check_data_dir()
            root = self.data_dir / "train" if self.has_split_folders else self.data_dir
            self._class_names = self._image_folder(root).classes
        return self._class_names

    def _check_data_dir(self) -> None:
        if not self.data_dir.is_dir():
            raise DataError(
                f"Image folder {self.data_dir} does not exist: set data.data_dir to a folder with one "
                "sub-folder per class (or train/, val/ and test/ folders of class folders)."
            )

    @property
    def bad_files(self) -> dict[Path, str]:
        """{file: why it does not decode} for every image file of data_dir, scanned once, before training.

        With on_bad_file=error (the default) any such file stops the run here, listed; with skip they are
        left out of every split and counted in the run record."""
        if self._bad_files is None:
            self._check_data_dir()
            found = scan_images(sorted(filter(is_image_file, self.data_dir.rglob("*"))))
            if found and self.on_bad_file == "error":
                raise BadImageFilesError(self._bad_files_message(found))
            if found:
                log.warning("Skipping %d unreadable image files (data.on_bad_file=skip).", len(found))
            self._bad_files = found
        return self._bad_files

    def _bad_files_message(self, found: dict[Path, str]) -> str:
        lines = [f"  {path}: {reason}" for path, reason in list(found.items())[:SHOWN_BAD_FILES]]
        if len(found) > SHOWN_BAD_FILES:
            lines.append(f"  ... and {len(found) - SHOWN_BAD_FILES} more")
        files = "1 image file" if len(found) == 1 else f"{len(found)} image files"
        return (
            f"{files} in {self.data_dir} cannot be read:\n" + "\n".join(lines) + "\n"
            "Replace or delete them, or train without them: data.on_bad_file=skip."
        )

    def _is_usable(self, path: str) -> bool:
        return is_image_file(Path(path)) and Path(path) not in self.bad_files

    def _image_folder(self, root: Path, **kwargs: Any) -> ImageFolder:
        try:
            return ImageFolder(str(root), loader=load_rgb, is_valid_file=self._is_usable, **kwargs)
        except FileNotFoundError as error:  # a class folder with no usable image
            raise DataError(
                f"{root}: {error} Every class folder needs at least one readable image: add images, or "
                "remove the empty folder."
            ) from None

    def description(self) -> dict[str, Any]:
        """Adds the folder, and the size evaluation resizes to before its centre crop."""
        return {
            **super().description(),
            "data_dir": str(self.data_dir.resolve()),
            "eval_resize": eval_resize(self.image_size),
        }

    def test_examples(self) -> pd.DataFrame:
        subset = isinstance(self.test_set, Subset)
        files = [path for path, _ in (self.test_set.dataset if subset else self.test_set).samples]
        return pd.DataFrame({"file": [files[i] for i in self.test_set.indices] if subset else files})

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        class_names = self.class_names  # also checks that data_dir exists
        normalise = self.device_normalisation is None
        train_tf = train_transform(self.image_size, normalise=normalise)
        eval_tf = eval_transform(self.image_size, normalise=normalise)
        if self.has_split_folders:
            splits = {name: self._image_folder(self.data_dir / name) for name in SPLIT_NAMES}
            for name, dataset in splits.items():
                if dataset.classes != class_names:
                    raise DataError(
                        f"{self.data_dir / name} has classes {dataset.classes}, but train/ has "
                        f"{class_names}: every split needs the same class folders."
                    )
            splits["train"].transform = train_tf
            splits["val"].transform = eval_tf
            splits["test"].transform = eval_tf
            self.train_set, self.val_set, self.test_set = (splits[name] for name in SPLIT_NAMES)
            return
        # One folder: two views of the same files, so training gets augmentation and evaluation does not.
        augmented = self._image_folder(self.data_dir, transform=train_tf)
        plain = self._image_folder(self.data_dir, transform=eval_tf)
        train, val, test = stratified_split(
            augmented.targets, self.val_fraction, self.test_fraction, self.split_seed
        )
        self.train_set = Subset(augmented, train)
        self.val_set, self.test_set = Subset(plain, val), Subset(plain, test)
