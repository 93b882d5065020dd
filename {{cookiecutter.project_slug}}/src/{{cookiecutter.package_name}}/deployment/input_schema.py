"""A bundle's `input_schema.json`: what one example looks like before preprocessing, and the
preprocessing to apply to it, as JSON-ready values. It is the contract between a bundle and whoever
sends it examples (`predict`, `serve`), built from the data module that trained the model."""

from typing import Any

from ..data.digits import DIGIT_SIZE, MAX_PIXEL_VALUE
from .feature_recipes import feature_recipe


def image_schema(description: dict[str, Any], recipe: str, **steps: Any) -> dict[str, Any]:
    """An image as the bundle's preprocessing takes it: `recipe` with its `steps`, then the size and the
    normalisation of training."""
    size = description["image_size"]
    return {
        "kind": "image",
        "shape": [3, size, size],
        "preprocessing": {"recipe": recipe, **steps, "image_size": size, **description["normalisation"]},
    }


def table_schema(description: dict[str, Any], feature_fn) -> dict[str, Any]:
    """One record per row, keyed by the original column names; categories as seen in training. With a
    feature function, rows arrive as they are read and the bundle derives the engineered columns itself."""
    preprocessing = description["preprocessing"]
    fitted = preprocessing["fitted"]
    categories = dict(zip(fitted["categorical"], fitted["categories"], strict=True))
    columns = [
        {"name": name, "type": kind, **({"categories": categories[name]} if name in categories else {})}
        for name, kind in preprocessing["column_types"].items()
    ]
    schema = {
        "kind": "table",
        "columns": columns,
        "target": preprocessing["target"],
        "task": preprocessing["task"],
    }
    if feature_fn is not None:
        read = set(description["read_columns"])
        schema["columns"] = [column for column in columns if column["name"] in read]
        schema["features"] = feature_recipe(feature_fn)
    return schema


def input_schema(datamodule) -> dict[str, Any]:
    """The schema of a set-up data module's examples."""
    description = datamodule.description()
    if description["kind"] == "table":
        return table_schema(description, datamodule.feature_fn)
    if description["kind"] == "digits":  # an 8x8 greyscale digit, processed as in training
        return image_schema(description, "digits", source_size=DIGIT_SIZE, max_intensity=MAX_PIXEL_VALUE)
    # Any RGB image, resized and centre-cropped as in evaluation.
    return image_schema(description, "resize_centre_crop", resize=description["eval_resize"])
