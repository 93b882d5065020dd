"""Fail fast, with the way out, when the config asks for hardware this machine does not have."""

import torch


def require_accelerator(accelerator: str) -> None:
    """Raise before any data or model is built if `trainer.accelerator` cannot run here."""
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise RuntimeError(
            f"trainer.accelerator={accelerator} needs an NVIDIA GPU, but PyTorch {torch.__version__} "
            f"sees none (CUDA build: {torch.version.cuda or 'no'}). Train on the CPU with trainer=cpu, "
            "or let Lightning choose with trainer.accelerator=auto."
        )
    if accelerator == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError(
            "trainer.accelerator=mps needs Apple silicon with PyTorch's MPS backend, which this machine "
            "lacks. Train on the CPU with trainer=cpu, or use trainer.accelerator=auto."
        )
