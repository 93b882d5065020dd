"""Standard image pipelines: random crops and flips to augment training, a fixed centre crop to evaluate.

Every pipeline turns its Pillow image into a uint8 tensor first: torchvision resizes and crops those 2-4
times faster than Pillow images (its vectorised uint8 kernels), and scales to floats only at the end."""

import torch
from torchvision.transforms import v2

# torchvision's ImageNet-pretrained weights expect inputs normalised with these statistics.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_normalised_floats(mean: tuple[float, ...], std: tuple[float, ...]) -> list[v2.Transform]:
    """The last steps of every pipeline, once the pixels are in their final place."""
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)]


def train_transform(
    image_size: int, mean: tuple[float, ...] = IMAGENET_MEAN, std: tuple[float, ...] = IMAGENET_STD
) -> v2.Compose:
    return v2.Compose(
        [
            v2.ToImage(),
            v2.RandomResizedCrop(image_size, antialias=True),
            v2.RandomHorizontalFlip(),
            *to_normalised_floats(mean, std),
        ]
    )


def eval_resize(image_size: int) -> int:
    """Resize a little larger, then centre-crop: the usual ImageNet evaluation recipe (256 -> 224)."""
    return round(image_size * 256 / 224)


def eval_transform(
    image_size: int,
    mean: tuple[float, ...] = IMAGENET_MEAN,
    std: tuple[float, ...] = IMAGENET_STD,
    resize: int | None = None,
) -> v2.Compose:
    """Resize the short side to `resize` (default: `eval_resize`), centre-crop, normalise."""
    return v2.Compose(
        [
            v2.ToImage(),
            v2.Resize(resize or eval_resize(image_size), antialias=True),
            v2.CenterCrop(image_size),
            *to_normalised_floats(mean, std),
        ]
    )
