"""Image files as a bundle's model expects them: decoded safely, then processed as in evaluation.

The recipe comes from the bundle's `input_schema.json`, so serving needs no dataset code:
- `resize_centre_crop`: resize the short side, centre-crop, normalise (image folders, CIFAR-10);
- `digits`: greyscale, shrunk to the 8x8 grid of scikit-learn's digits (bright strokes on black),
  scaled to [0, 1], upsampled and repeated over three channels, normalised with the training statistics.
"""

import io
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from PIL import Image, UnidentifiedImageError
from torchvision.transforms import v2

from ..data.transforms import to_normalised_tensor

RECIPES = ("resize_centre_crop", "digits")


class UnreadableImageError(ValueError):
    """The bytes are not an image Pillow can fully decode: not an image, truncated, or a bomb."""


def decode_image(data: bytes, max_pixels: int) -> Image.Image:
    """The image in `data`, decoded to RGB; a truncated, fake or oversized file raises UnreadableImageError.

    `max_pixels` stops a small file that decodes into a huge image (a "decompression bomb") before any
    memory is spent on its pixels."""
    if not data:
        raise UnreadableImageError("the file is empty")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > max_pixels:
                raise UnreadableImageError(f"{width}x{height} pixels is over the limit of {max_pixels:,}")
            probe.verify()  # structure and checksums, without decoding every pixel
        # Decode every pixel now (as RGB, whatever the mode): a truncated file fails here, not in the model.
        return Image.open(io.BytesIO(data)).convert("RGB")
    except UnreadableImageError:
        raise
    except UnidentifiedImageError:
        raise UnreadableImageError(
            "not an image format Pillow recognises (PNG, JPEG, BMP, GIF, TIFF, ...)"
        ) from None
    except Image.DecompressionBombError as error:
        raise UnreadableImageError(str(error).split(" (")[0]) from None
    except Exception as error:  # Pillow's decoders raise many types on hostile data; all mean "damaged"
        raise UnreadableImageError(f"the image data is damaged ({type(error).__name__}: {error})") from None


class ImageInputs:
    """Built from a bundle's `input_schema.json`."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.preprocessing = dict(schema["preprocessing"])
        self.recipe = self.preprocessing["recipe"]
        if self.recipe not in RECIPES:
            raise ValueError(f"Unknown image preprocessing {self.recipe!r}; this code knows {list(RECIPES)}.")
        settings = self.preprocessing
        if self.recipe == "resize_centre_crop":
            self.transform = v2.Compose(
                [
                    v2.Resize(settings["resize"], antialias=True),
                    v2.CenterCrop(settings["image_size"]),
                    *to_normalised_tensor(tuple(settings["mean"]), tuple(settings["std"])),
                ]
            )
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
