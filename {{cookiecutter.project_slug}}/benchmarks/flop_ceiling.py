"""The most images per second a GPU could train on: its peak dense bf16 FLOP/s over the FLOPs one image
takes forward and backward (ResNet-18 at 224 px: ~10.65 GFLOP, multiply-adds counted as two)."""

import re

import torch
from torch.utils.flop_counter import FlopCounterMode

# Peak dense (not sparse) bf16 tensor-core TFLOP/s, from NVIDIA's data sheets, by the model's words in the
# device's name; the first entry whose words all appear counts. Others: --peak-tflops.
PEAK_BF16_TFLOPS = [
    ({"H100", "NVL"}, 835.0),
    ({"H100", "PCIe"}, 756.0),
    ({"H100"}, 989.0),
    ({"H200", "NVL"}, 835.0),
    ({"H200"}, 989.0),
    ({"A100"}, 312.0),
    ({"L40S"}, 362.0),
    ({"L40"}, 181.0),
    ({"L4"}, 121.0),
]


def peak_tflops(device_name: str) -> float | None:
    """The peak of the GPU named `device_name` (e.g. "NVIDIA H100 80GB HBM3"), or None if unknown here."""
    words = set(re.findall(r"[A-Za-z0-9]+", device_name))
    return next((tflops for model, tflops in PEAK_BF16_TFLOPS if model <= words), None)


def gflop_per_image(model: torch.nn.Module, image_size: int) -> float:
    """GFLOP of one training step's forward and backward pass per image, counted by PyTorch on the CPU.
    (Two images: batch normalisation needs more than one in training mode.)"""
    images = torch.randn(2, 3, image_size, image_size)
    with FlopCounterMode(display=False) as counter:
        model(images).sum().backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() / 2 / 1e9


def ceiling_images_per_second(peak: float, gflop: float) -> float:
    return peak * 1e12 / (gflop * 1e9)
