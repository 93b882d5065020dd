"""Images as a bundle's model expects them: processed as in evaluation (decoded by data/image_files.py).

The recipe comes from the bundle's `input_schema.json`, so serving needs no dataset code:
- `resize_centre_crop`: resize the short side, centre-crop, normalise (image folders, CIFAR-10);
- `digits`: greyscale, shrunk to the 8x8 grid of scikit-learn's digits (bright strokes on black),
  scaled to [0, 1], upsampled and repeated over three channels, normalised with the training statistics.
"""

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from PIL import Image

from ..data.transforms import eval_transform
from ..errors import CheckpointError

RECIPES = ("resize_centre_crop", "digits")


class ImageInputs:
    """Built from a bundle's `input_schema.json`."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.preprocessing = dict(schema["preprocessing"])
        self.recipe = self.preprocessing["recipe"]
        if self.recipe not in RECIPES:
            raise CheckpointError(
                f"Unknown image preprocessing {self.recipe!r}; this code knows {list(RECIPES)}."
            )
        settings = self.preprocessing
        if self.recipe == "resize_centre_crop":
            mean, std = tuple(settings["mean"]), tuple(settings["std"])
            self.transform = eval_transform(settings["image_size"], mean, std, resize=settings["resize"])
        else:
            self.transform = self._digits

    def _digits(self, image: Image.Image) -> torch.Tensor:
        settings = self.preprocessing
        size = settings["source_size"]
        grid = image.convert("L").resize((size, size), Image.Resampling.BILINEAR)
        pixels = torch.from_numpy(np.asarray(grid, dtype=np.float32) / 255.0)[None, None]
        image_size = settings["image_size"]
        pixels = F.interpolate(pixels, size=image_size, mode="bilinear", align_corners=False)
        pixels = pixels.expand(-1, 3, -1, -1)[0]
        return (pixels - settings["mean"]) / settings["std"]

    def to_array(self, image: Image.Image) -> np.ndarray:
        """One (channels, height, width) float32 model input from a decoded RGB image."""
        return self.transform(image).numpy().astype(np.float32)
