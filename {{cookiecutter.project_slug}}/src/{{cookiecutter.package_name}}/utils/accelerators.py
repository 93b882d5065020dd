"""Fail fast, with the way out, when the config asks for hardware this machine does not have; keep
PyTorch's GPU checks cheap on a machine that has none."""

import os

import torch

from ..errors import ConfigError

# Lightning sets it when imported: PyTorch then counts GPUs through NVML, which cannot break processes
# forked later (https://github.com/pytorch/pytorch/issues/83973).
NVML_GPU_CHECK = "PYTORCH_NVML_BASED_CUDA_CHECK"


def require_accelerator(accelerator: str) -> None:
    """Raise before any data or model is built if `trainer.accelerator` cannot run here."""
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"trainer.accelerator={accelerator} needs an NVIDIA GPU, but PyTorch {torch.__version__} "
            f"sees none (CUDA build: {torch.version.cuda or 'no'}). Train on the CPU with trainer=cpu, "
            "or let Lightning choose with trainer.accelerator=auto."
        )
    if accelerator == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(
            "trainer.accelerator=mps needs Apple silicon with PyTorch's MPS backend, which this machine "
            "lacks. Train on the CPU with trainer=cpu, or use trainer.accelerator=auto."
        )


def cheap_gpu_checks_without_gpus() -> None:
    """On a machine without a CUDA device, make `torch.cuda.is_available()` take a microsecond again.

    With the NVML check and no GPU driver, PyTorch looks for NVML anew (a failing library load) at every
    call, then asks the CUDA runtime anyway, and Adam's `step` asks at every step: 0.2-0.5 ms a step on a
    2-core CPU, a fifth of a small MLP's step. Without a device there is no fork to protect."""
    if os.environ.get(NVML_GPU_CHECK) == "1" and torch.cuda.device_count() == 0:
        del os.environ[NVML_GPU_CHECK]
