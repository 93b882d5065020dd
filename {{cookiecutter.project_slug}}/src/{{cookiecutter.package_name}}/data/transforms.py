"""Standard image pipelines: random crops and flips to augment training, a fixed centre crop to evaluate.

Every pipeline turns its Pillow image into a uint8 tensor first: torchvision resizes and crops those 2-4
times faster than Pillow images (its vectorised uint8 kernels), and scales to floats only at the end. With
`normalise=False` it stops at uint8: the data module then normalises whole batches on the GPU
(`DeviceNormalisation`), which takes that step off the CPU and copies a quarter of the bytes to the GPU."""

import torch
from torchvision.transforms import v2

# torchvision's ImageNet-pretrained weights expect inputs normalised with these statistics.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_normalised_floats(mean: tuple[float, ...], std: tuple[float, ...]) -> list[v2.Transform]:
    """The last steps of every pipeline, once the pixels are in their final place."""
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)]


def final_steps(mean: tuple[float, ...], std: tuple[float, ...], normalise: bool) -> list[v2.Transform]:
    """`to_normalised_floats`, or nothing: the pipeline ends with uint8 images for `DeviceNormalisation`."""
    return to_normalised_floats(mean, std) if normalise else []


class DeviceNormalisation:
    """`to_normalised_floats` for a batch of uint8 images (N, C, H, W) on any device: the same operations in
    the same order (scale by 1/255, subtract the mean, divide by the std), so the same floats.

    The mean and std go to each device once. torchvision's Normalize copies them from Python lists at every
    call, and on a GPU such a copy from ordinary host memory waits for all the work queued before it
    (pytorch/vision#9576): a wait per batch."""

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        self.mean, self.std = tuple(mean), tuple(std)
        self._statistics: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        if images.dtype != torch.uint8:
            raise TypeError(
                f"Expected a batch of uint8 images to normalise, got {images.dtype}: with "
                "data.normalise_on_device=true the image pipelines must end before their ToDtype step."
            )
        if images.device not in self._statistics:
            self._statistics[images.device] = tuple(
                torch.tensor(values, dtype=torch.float32).view(-1, 1, 1).to(images.device)
                for values in (self.mean, self.std)
            )
        mean, std = self._statistics[images.device]
        return images.to(torch.float32).mul_(1.0 / 255).sub_(mean).div_(std)


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
