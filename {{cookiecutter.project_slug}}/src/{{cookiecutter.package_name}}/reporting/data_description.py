"""The model card's account of the data: where it comes from, split sizes, class balance or the
target's distribution, and the preprocessing, in words, from the data module's `description()`."""

from collections.abc import Callable
from typing import Any


def digits_wording(description: dict[str, Any]) -> tuple[str, str]:
    size = description["image_size"]
    return "scikit-learn's bundled digits", (
        f"intensities scaled to [0, 1], upsampled to {size}x{size} and repeated over 3 channels, then "
        "standardised with the training split's mean and standard deviation"
    )


def image_folder_wording(description: dict[str, Any]) -> tuple[str, str]:
    size = description["image_size"]
    return f"image folder {description['data_dir']}", (
        f"training: random resized crop to {size} px and horizontal flip; evaluation: resize and centre "
        f"crop to {size} px; ImageNet mean/std normalisation"
    )


def cifar10_wording(description: dict[str, Any]) -> tuple[str, str]:
    return "CIFAR-10 (torchvision)", (
        "training: random crop (padding 4) and horizontal flip; CIFAR-10 mean/std normalisation"
    )


# (source, preprocessing) of each kind of image data module.
IMAGE_WORDING: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {
    "digits": digits_wording,
    "image_folder": image_folder_wording,
    "cifar10": cifar10_wording,
}


def table_data(description: dict[str, Any]) -> dict[str, Any]:
    """The table's summary (source, target and its distribution, cleaning counts, ...) in the card."""
    summary = description["summary"]
    impute = description["preprocessing"]["impute"]
    preprocessing = (
        f"numeric columns: {impute['numeric']} imputation and standard scaling; categorical columns: "
        f"{impute['categorical'].replace('_', ' ')} imputation and one-hot encoding; fitted on the "
        "training split only (preprocessing.json)"
    )
    return {**summary, "split_sizes": summary["split_rows"], "preprocessing": preprocessing}


def describe_data(datamodule) -> dict[str, Any]:
    """`split_sizes`, `source`, `preprocessing` and, for images, `class_counts` per split, of a data
    module that is set up."""
    description = datamodule.description()
    if description["kind"] == "table":
        return table_data(description)
    source, preprocessing = IMAGE_WORDING[description["kind"]](description)
    return {
        "split_sizes": description["split_sizes"],
        "class_counts": description["class_counts"],
        "source": source,
        "preprocessing": preprocessing,
    }
