"""Splits are seeded, stratified and leak-free; bad data locations fail with a clear message."""

import json
from pathlib import Path
from types import SimpleNamespace
from urllib.error import URLError

import pytest
import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.plugins.precision import DoublePrecision, Precision
from torchvision.datasets import CIFAR10

from {{ cookiecutter.package_name }}.data.cifar10 import CIFAR10DataModule
from {{ cookiecutter.package_name }}.data.digits import DigitsDataModule
from {{ cookiecutter.package_name }}.data.image_folder import ImageFolderDataModule
from {{ cookiecutter.package_name }}.errors import DataError


def split_labels(datamodule) -> dict[str, list[int]]:
    datamodule.setup("fit")
    return {
        name: [int(label) for _, label in getattr(datamodule, f"{name}_set")]
        for name in ("train", "val", "test")
    }


def test_digits_splits_are_seeded_disjoint_and_stratified():
    first = DigitsDataModule(split_seed=1)
    first.setup("fit")
    again = DigitsDataModule(split_seed=1)
    again.setup("fit")
    other = DigitsDataModule(split_seed=2)
    other.setup("fit")
    assert torch.equal(first.test_set.tensors[0], again.test_set.tensors[0])
    assert not torch.equal(first.test_set.tensors[0], other.test_set.tensors[0])
    sizes = [len(first.train_set), len(first.val_set), len(first.test_set)]
    assert sum(sizes) == 1797 and sizes[2] == pytest.approx(0.2 * 1797, abs=1)
    test_labels = first.test_set.tensors[1]
    assert set(test_labels.tolist()) == set(range(10))
    assert first.train_set.tensors[0].shape[1:] == (3, 32, 32)


def test_digit_subsets_are_relabelled_from_zero():
    datamodule = DigitsDataModule(classes=[5, 6, 7, 8, 9])
    labels = split_labels(datamodule)
    assert datamodule.class_names == ["5", "6", "7", "8", "9"]
    assert set(labels["train"]) == {0, 1, 2, 3, 4}


def test_descriptions_are_plain_values_that_add_up(image_folder):
    for datamodule in (
        DigitsDataModule(classes=[0, 1, 2]),
        ImageFolderDataModule(str(image_folder), image_size=32, num_workers=0),
    ):
        datamodule.setup("fit")
        description = datamodule.description()
        assert json.loads(json.dumps(description)) == description  # for reports and bundles, as they are
        for split, size in description["split_sizes"].items():
            assert sum(description["class_counts"][split].values()) == size
            assert list(description["class_counts"][split]) == datamodule.class_names


def test_digit_subsets_need_two_real_digits():
    with pytest.raises(ValueError, match="at least two distinct digits"):
        DigitsDataModule(classes=[3, 12])


def test_one_image_folder_is_split_by_a_seeded_ratio(image_folder):
    datamodule = ImageFolderDataModule(str(image_folder), image_size=32, num_workers=0)
    labels = split_labels(datamodule)
    assert datamodule.class_names == ["cat", "dog"]
    assert len(labels["train"]) + len(labels["val"]) + len(labels["test"]) == 20
    assert sorted(set(labels["test"])) == [0, 1]
    image, _ = datamodule.val_set[0]
    assert image.shape == (3, 32, 32)


def test_train_val_test_folders_are_used_as_given(tmp_path, make_image_folder):
    for split, count in (("train", 6), ("val", 3), ("test", 2)):
        make_image_folder(tmp_path / "data" / split, per_class=count)
    datamodule = ImageFolderDataModule(str(tmp_path / "data"), image_size=32, num_workers=0)
    labels = split_labels(datamodule)
    assert [len(labels[name]) for name in ("train", "val", "test")] == [12, 6, 4]


def test_missing_image_folder_says_what_to_set(tmp_path):
    with pytest.raises(DataError, match="set data.data_dir"):
        ImageFolderDataModule(str(tmp_path / "nowhere")).setup("fit")


def test_partial_split_folders_name_the_missing_one(tmp_path, make_image_folder):
    make_image_folder(tmp_path / "data" / "train")
    make_image_folder(tmp_path / "data" / "test")
    with pytest.raises(DataError, match="but not val/"):
        ImageFolderDataModule(str(tmp_path / "data")).setup("fit")


def test_cifar10_download_offline_explains_how_to_proceed(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(CIFAR10, "download", offline)
    datamodule = CIFAR10DataModule(str(tmp_path / "cifar"))
    with pytest.raises(DataError, match="data=digits") as error:
        datamodule.prepare_data()
    assert CIFAR10.url in str(error.value)
    assert str(Path(tmp_path / "cifar")) in str(error.value)


def attached(image_folder: Path, precision, model: LightningModule) -> ImageFolderDataModule:
    """An image folder's data module normalising on the device, as the Trainer sees it: its `trainer` gives
    the precision plugin and the model."""
    datamodule = ImageFolderDataModule(
        str(image_folder), image_size=8, num_workers=0, normalise_on_device=True
    )
    datamodule.trainer = SimpleNamespace(precision_plugin=precision, lightning_module=model)
    return datamodule


def test_batches_normalised_on_the_device_take_the_trainers_precision(image_folder):
    """Lightning casts inputs to a `*-true` precision before the transfer, when they are still uint8."""
    batch = (torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8), torch.tensor([0, 1]))
    as_64 = attached(image_folder, DoublePrecision(), LightningModule()).on_after_batch_transfer(batch, 0)
    assert as_64[0].dtype == torch.float64
    as_32 = attached(image_folder, Precision(), LightningModule()).on_after_batch_transfer(batch, 0)
    assert as_32[0].dtype == torch.float32


def test_a_models_own_batch_hook_still_runs_after_the_data_modules(image_folder):
    """Lightning runs only the data module's hook when both have one: it hands the batch on."""

    class Augments(LightningModule):
        def on_after_batch_transfer(self, batch, dataloader_idx: int):
            inputs, targets = batch
            return inputs.flip(-1), targets

    datamodule = attached(image_folder, Precision(), Augments())
    images = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8)
    inputs, _ = datamodule.on_after_batch_transfer((images, torch.zeros(2)), 0)
    expected, _ = datamodule.finish_batch((images.flip(-1), None))
    assert torch.equal(inputs, expected)
