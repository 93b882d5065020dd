"""Image explanations with Captum: which pixels made the model choose its class?

Integrated Gradients accumulates the gradient along a straight path from a black (all-zero input)
baseline to the image; saliency is the plain gradient's magnitude, cheaper and noisier. Both are drawn
as heat maps over a grid of test images, correctly and wrongly classified, so a reviewer sees whether
the model looks at the object or at something else (a watermark, the background).
"""

import math
from pathlib import Path

import numpy as np
import torch
from captum.attr import IntegratedGradients, Saliency
from captum.attr import visualization as viz

from .plots import plt, save

COLUMNS = 4


def pick_examples(model, batches, count: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Up to `count` images of `batches` (on the CPU), half classified correctly and half wrongly where
    there are enough."""
    device = next(model.parameters()).device
    images, labels, predicted = [], [], []
    with torch.no_grad():
        for batch_images, batch_labels in batches:
            images.append(batch_images)
            labels.append(batch_labels)
            predicted.append(model(batch_images.to(device)).argmax(dim=-1).cpu())
            if sum(len(batch) for batch in images) >= 8 * count:
                break
    images, labels, predicted = torch.cat(images), torch.cat(labels), torch.cat(predicted)
    correct = torch.nonzero(labels == predicted).flatten()
    wrong = torch.nonzero(labels != predicted).flatten()
    wrong_count = min(len(wrong), count // 2)
    chosen = torch.cat([wrong[:wrong_count], correct[: count - wrong_count]])
    return images[chosen], labels[chosen], predicted[chosen]


def for_display(image: torch.Tensor) -> np.ndarray:
    """(C, H, W) normalised tensor -> (H, W, C) in [0, 1], stretched per image."""
    array = image.permute(1, 2, 0).numpy().astype(float)
    return (array - array.min()) / max(array.max() - array.min(), 1e-8)


def attribution_grid(attributions, images, labels, predicted, class_names, title: str, path: Path) -> Path:
    rows = math.ceil(len(images) / COLUMNS)
    figure, axes = plt.subplots(rows, COLUMNS, figsize=(3 * COLUMNS, 3.2 * rows), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    # More axes than images when the last row is not full: zip stops at the images.
    for axis, attribution, image, label, guess in zip(
        axes.flat, attributions, images, labels, predicted, strict=False
    ):
        viz.visualize_image_attr(
            attribution.permute(1, 2, 0).numpy(),
            for_display(image),
            method="blended_heat_map",
            sign="absolute_value",
            plt_fig_axis=(figure, axis),
            use_pyplot=False,
        )
        mark = "right" if label == guess else "WRONG"
        axis.set_title(f"true {class_names[label]}, predicted {class_names[guess]} ({mark})", fontsize=8)
    figure.suptitle(title)
    save(figure, path)
    return path


def explain_images(model, datamodule, output_dir: Path, count: int, steps: int) -> dict[str, Path]:
    """Write `integrated_gradients.png` and `saliency.png` into `output_dir`; returns {label: path}."""
    output_dir.mkdir(parents=True, exist_ok=True)
    model.eval()
    images, labels, predicted = pick_examples(model, datamodule.batches("test"), count)
    class_names = list(model.hparams.class_names)
    device = next(model.parameters()).device
    inputs, targets = images.to(device), predicted.to(device)
    integrated = IntegratedGradients(model).attribute(
        inputs, baselines=torch.zeros_like(inputs), target=targets, n_steps=steps, internal_batch_size=64
    )
    saliency = Saliency(model).attribute(inputs.clone().requires_grad_(), target=targets, abs=True)
    grids = {
        "Integrated Gradients": ("integrated_gradients.png", integrated.detach().cpu()),
        "Saliency": ("saliency.png", saliency.detach().cpu()),
    }
    return {
        label: attribution_grid(
            values,
            images,
            labels,
            predicted,
            class_names,
            f"{label} for the predicted class",
            output_dir / name,
        )
        for label, (name, values) in grids.items()
    }
