"""Standard image pipelines: random crops and flips to augment training, a fixed centre crop to evaluate.

Every pipeline turns its Pillow image into a uint8 tensor first: torchvision resizes and crops those 2-4
times faster than Pillow images (its vectorised uint8 kernels), and scales to floats only at the end. With
`normalise=False` it stops at uint8: the data module then normalises whole batches on the GPU
(`normalise_batch`), which takes that step off the CPU and copies a quarter of the bytes to the GPU."""

import torch
from torchvision.transforms import v2

# torchvision's ImageNet-pretrained weights expect inputs normalised with these statistics.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_normalised_floats(mean: tuple[float, ...], std: tuple[float, ...]) -> list[v2.Transform]:
    """The last steps of every pipeline, once the pixels are in their final place."""
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)]


def final_steps(mean: tuple[float, ...], std: tuple[float, ...], normalise: bool) -> list[v2.Transform]:
    """`to_normalised_floats`, or nothing: the pipeline ends with uint8 images for `normalise_batch`."""
    return to_normalised_floats(mean, std) if normalise else []


def normalise_batch(images: torch.Tensor, mean: tuple[float, ...], std: tuple[float, ...]) -> torch.Tensor:
    """A batch of uint8 images (N, C, H, W), on any device, as `to_normalised_floats` makes each image."""
    return v2.Compose(to_normalised_floats(mean, std))(images)


def train_transform(
    image_size: int,
    mean: tuple[float, ...] = IMAGENET_MEAN,
    std: tuple[float, ...] = IMAGENET_STD,
    normalise: bool = True,
) -> v2.Compose:
    return v2.Compose(
        [
            v2.ToImage(),
            v2.RandomResizedCrop(image_size, antialias=True),
            v2.RandomHorizontalFlip(),
            *final_steps(mean, std, normalise),
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
    normalise: bool = True,
) -> v2.Compose:
    """Resize the short side to `resize` (default: `eval_resize`), centre-crop, normalise."""
    return v2.Compose(
        [
            v2.ToImage(),
            v2.Resize(resize or eval_resize(image_size), antialias=True),
            v2.CenterCrop(image_size),
            *final_steps(mean, std, normalise),
        ]
    )
