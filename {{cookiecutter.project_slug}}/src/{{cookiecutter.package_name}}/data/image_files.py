"""Image files that may be broken: decoding that fails with a reason, and a scan that finds every unreadable
file of a folder before training starts (instead of a crash in a data-loader worker hours later).

Broken files are common in collected data: downloads cut short (truncated JPEGs), empty files, web pages
or PDFs saved with an image extension, images so large they are decompression bombs.
"""

import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ..errors import DataError

# A scan only needs to know that a file decodes: JPEGs decode at 1/8 scale, several times faster.
SCAN_SIZE = (64, 64)
# Formats decoded by Pillow's own code. Without this list Pillow also tries plugins such as EPS, which hands
# the bytes to Ghostscript: never something to do with a file from an upload or the web.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM")
NOT_AN_IMAGE = f"not an image in a supported format ({', '.join(FORMATS)})"
# Resizing the short side of a 1x20,000 image to 256 pixels makes a 256x5,120,000 one: refused instead.
MAX_ASPECT_RATIO = 20


class UnreadableImageError(DataError):
    """The bytes are not an image Pillow can fully decode: not an image, truncated, empty or a bomb."""


def open_image(source: bytes | Path, max_pixels: int | None = None) -> Image.Image:
    """The image in `source` (bytes or a file), fully decoded to RGB, or UnreadableImageError with the reason.

    `max_pixels` stops a small file that decodes into a huge image before any memory goes to its pixels."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not data:
        raise UnreadableImageError("the file is empty")
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
            check_size(*probe.size, max_pixels)
            probe.verify()  # structure and checksums, without decoding every pixel
        # Decode every pixel now (as RGB, whatever the mode): a truncated file fails here, not in the model.
        return as_rgb(Image.open(io.BytesIO(data), formats=FORMATS))
    except UnreadableImageError:
        raise
    except UnidentifiedImageError:
        raise UnreadableImageError(NOT_AN_IMAGE) from None
    except Image.DecompressionBombError as error:
        raise UnreadableImageError(str(error).split(" (")[0]) from None
    except Exception as error:  # Pillow's decoders raise many types on hostile data; all mean "damaged"
        raise UnreadableImageError(f"the image data is damaged ({type(error).__name__}: {error})") from None


def load_rgb(path: str | Path) -> Image.Image:
    """The image file at `path`, decoded, in RGB: the training loaders' decoder (files were checked by
    `scan_images`)."""
    with open(path, "rb") as file:
        return as_rgb(Image.open(file, formats=FORMATS))


def as_rgb(image: Image.Image) -> Image.Image:
    """`image` decoded and in RGB. Pillow's `convert("RGB")` copies even an image that is RGB already,
    which takes as long as decoding a large JPEG: only other modes (greyscale, palette, CMYK, RGBA) are
    converted."""
    image.load()
    return image if image.mode == "RGB" else image.convert("RGB")


def check_size(width: int, height: int, max_pixels: int | None) -> None:
    if max_pixels is not None and width * height > max_pixels:
        raise UnreadableImageError(f"{width}x{height} pixels is over the limit of {max_pixels:,}")
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise UnreadableImageError(
            f"{width}x{height} pixels is too elongated to resize (sides over {MAX_ASPECT_RATIO}:1)"
        )


def unreadable_reason(path: Path) -> str | None:
    """Why the image file at `path` cannot be used for training, or None when it decodes."""
    try:
        with Image.open(path, formats=FORMATS) as image:
            check_size(*image.size, max_pixels=None)
            image.draft("RGB", SCAN_SIZE)  # JPEG: decode at reduced scale (other formats ignore it)
            image.load()
    except UnidentifiedImageError:
        return NOT_AN_IMAGE
    except UnreadableImageError as error:
        return str(error)
    except Exception as error:  # truncated, empty, unreadable from disk, a bomb: all unusable
        return f"{type(error).__name__}: {error}"
    return None


def scan_images(paths: list[Path]) -> dict[Path, str]:
    """{path: reason} of the files in `paths` that do not decode; Pillow decodes outside the GIL, so the
    scan uses every core."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        reasons = pool.map(unreadable_reason, paths)
    return {path: reason for path, reason in zip(paths, reasons, strict=True) if reason is not None}
