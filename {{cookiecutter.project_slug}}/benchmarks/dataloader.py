"""`dataloader`: images per second through the image-folder pipeline (decode, resize, augment, with the
configured number of workers) against the same number of ready tensors in memory. A ratio far below the
training step's images per second says the data, not the model, limits training. Also measured: the
pipeline as it runs for a GPU (`data.normalise_on_device`), whose batches stay uint8 until the GPU."""

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hydra.utils import instantiate
from PIL import Image
from torch.utils.data import DataLoader

from {{ cookiecutter.package_name }}.data.base import InMemoryTensors, already_a_batch


def write_image_folder(root: Path, images_per_class: int, size: int = 256) -> Path:
    """JPEG photos-like noise in two classes: decoding and resizing cost what real photos cost."""
    generator = np.random.default_rng(0)
    for name in ("class_a", "class_b"):
        (root / name).mkdir(parents=True, exist_ok=True)
        for index in range(images_per_class):
            pixels = generator.integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{index:04d}.jpg", quality=90)
    return root


def images_per_second(loader: DataLoader, epochs: int) -> float:
    """Throughput over `epochs` passes, after one pass that starts the workers and warms the caches."""
    for _ in loader:
        pass
    images, started = 0, time.perf_counter()
    for _ in range(epochs):
        for inputs, _ in loader:
            images += len(inputs)
    return images / (time.perf_counter() - started)


def image_pipeline_loader(data: Mapping[str, Any]) -> DataLoader:
    """The training loader of the data module `data` configures (a config node or a plain dict)."""
    datamodule = instantiate(data)
    datamodule.setup("fit")
    return datamodule.train_dataloader()


def in_memory_loader(template: DataLoader) -> DataLoader:
    """The same number of examples of the same shape, already decoded and augmented, in memory."""
    first_batch, _ = next(iter(template))
    count = len(template.dataset)
    inputs = torch.randn(count, *first_batch.shape[1:])
    labels = torch.zeros(count, dtype=torch.long)
    return DataLoader(
        InMemoryTensors(inputs, labels),
        batch_size=template.batch_size,
        shuffle=True,
        collate_fn=already_a_batch,
    )
