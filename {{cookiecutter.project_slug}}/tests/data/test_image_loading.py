"""Image files load as Pillow's RGB pixels without copying what is RGB already, every pipeline works on
uint8 tensors (torchvision's fast kernels), not on Pillow images, and batches normalised on the device are
the floats the workers would have made."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import v2

from {{ cookiecutter.package_name }}.data import cifar10
from {{ cookiecutter.package_name }}.data import image_folder as image_folder_module
from {{ cookiecutter.package_name }}.data.image_files import load_rgb, open_image
from {{ cookiecutter.package_name }}.data.image_folder import ImageFolderDataModule
from {{ cookiecutter.package_name }}.data.transforms import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    DeviceNormalisation,
    eval_transform,
    train_transform,
)

# (format, Pillow mode, suffix): what collected image folders hold, including the awkward modes.
FILES = [
    ("JPEG", "RGB", "jpg"),
    ("JPEG", "L", "jpg"),
    ("JPEG", "CMYK", "jpg"),
    ("PNG", "RGBA", "png"),
    ("PNG", "P", "png"),
    ("WEBP", "RGB", "webp"),
    ("GIF", "P", "gif"),
    ("BMP", "RGB", "bmp"),
    ("TIFF", "RGB", "tif"),
]


def write_image(path: Path, image_format: str, mode: str) -> Path:
    pixels = np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    Image.fromarray(pixels).resize((40, 30), Image.Resampling.BICUBIC).convert(mode).save(path, image_format)
    return path


def converted_by_pillow(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.array(image.convert("RGB"))


@pytest.mark.parametrize(("image_format", "mode", "suffix"), FILES)
def test_every_format_loads_as_pillows_rgb_pixels(tmp_path, image_format, mode, suffix):
    path = write_image(tmp_path / f"image.{suffix}", image_format, mode)
    for image in (load_rgb(path), open_image(path)):
        assert image.mode == "RGB" and image.size == (40, 30)
        assert np.array_equal(np.array(image), converted_by_pillow(path))


def test_only_images_in_another_mode_are_converted(tmp_path, monkeypatch):
    colour = write_image(tmp_path / "colour.jpg", "JPEG", "RGB")
    grey = write_image(tmp_path / "grey.jpg", "JPEG", "L")
    conversions = []
    convert = Image.Image.convert

    def noted_convert(image: Image.Image, mode: str) -> Image.Image:
        conversions.append(image.mode)
        return convert(image, mode)

    monkeypatch.setattr(Image.Image, "convert", noted_convert)
    load_rgb(colour)
    open_image(colour)
    assert conversions == []  # converting RGB to RGB copies every pixel: as slow as decoding a large JPEG
    load_rgb(grey)
    open_image(grey)
    assert conversions == ["L", "L"]


def test_every_pipeline_turns_its_image_into_a_uint8_tensor_first(tmp_path):
    pipelines = [train_transform(24), eval_transform(24), cifar10.train_transform(), cifar10.eval_transform()]
    for pipeline in pipelines:
        assert isinstance(pipeline.transforms[0], v2.ToImage)
    image = load_rgb(write_image(tmp_path / "image.png", "PNG", "RGB"))
    for pipeline in pipelines[:2]:
        output = pipeline(image)
        assert output.dtype == torch.float32 and output.shape == (3, 24, 24)


def test_image_folders_load_with_load_rgb(image_folder, monkeypatch):
    loaded = []

    def counting_load_rgb(path):
        loaded.append(path)
        return load_rgb(path)

    monkeypatch.setattr(image_folder_module, "load_rgb", counting_load_rgb)
    datamodule = ImageFolderDataModule(data_dir=str(image_folder), image_size=16, batch_size=4, num_workers=0)
    datamodule.setup()
    images, _ = next(iter(datamodule.train_dataloader()))
    assert images.shape == (4, 3, 16, 16) and len(loaded) == 4


def write_noise_folder(root: Path, per_class: int = 10) -> Path:
    generator = np.random.default_rng(1)
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for index in range(per_class):
            pixels = generator.integers(0, 256, (30, 40, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{index}.png")
    return root


def test_pipelines_without_normalisation_stop_at_uint8(tmp_path):
    image = load_rgb(write_image(tmp_path / "image.png", "PNG", "RGB"))
    for pipeline in (train_transform(24, normalise=False), eval_transform(24, normalise=False)):
        assert pipeline(image).dtype == torch.uint8
    for pipeline in (cifar10.train_transform(normalise=False), cifar10.eval_transform(normalise=False)):
        assert pipeline(image).dtype == torch.uint8
    per_image = eval_transform(24)(image)
    normalise = DeviceNormalisation(IMAGENET_MEAN, IMAGENET_STD)
    batched = normalise(eval_transform(24, normalise=False)(image)[None])
    assert torch.equal(batched[0], per_image)


def test_device_normalisation_copies_its_statistics_to_a_device_once(monkeypatch):
    """A copy from host memory to a GPU waits for the queued work: torchvision's Normalize makes two at
    every call; this makes them at the first batch only. And it refuses batches that are floats already."""
    normalise = DeviceNormalisation(IMAGENET_MEAN, IMAGENET_STD)
    images = torch.randint(0, 256, (2, 3, 4, 4), dtype=torch.uint8)
    first = normalise(images)

    def no_copy(*args, **kwargs):
        raise AssertionError("a tensor built from host values at every batch")

    monkeypatch.setattr(torch, "tensor", no_copy)
    monkeypatch.setattr(torch, "as_tensor", no_copy)
    assert torch.equal(normalise(images), first)
    with pytest.raises(TypeError, match="uint8"):
        normalise(first)


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_batches_normalised_on_the_device_equal_the_workers_floats(tmp_path, split):
    folder = write_noise_folder(tmp_path / "images")

    def split_batches(normalise_on_device: bool):
        torch.manual_seed(0)  # the same shuffle and the same random crops for both
        datamodule = ImageFolderDataModule(
            str(folder), image_size=16, batch_size=4, num_workers=0, normalise_on_device=normalise_on_device
        )
        datamodule.setup()
        raw_inputs, _ = next(iter(getattr(datamodule, f"{split}_dataloader")()))
        torch.manual_seed(0)
        return raw_inputs, list(datamodule.batches(split))

    raw_inputs, on_device = split_batches(normalise_on_device=True)
    _, in_workers = split_batches(normalise_on_device=False)
    assert raw_inputs.dtype == torch.uint8  # what the workers make and the GPU receives
    assert len(on_device) == len(in_workers) >= 1
    for (inputs, targets), (expected_inputs, expected_targets) in zip(on_device, in_workers, strict=True):
        assert inputs.dtype == torch.float32
        assert torch.equal(inputs, expected_inputs) and torch.equal(targets, expected_targets)
