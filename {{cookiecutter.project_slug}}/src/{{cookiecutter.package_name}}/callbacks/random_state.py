"""Carries the global random states (PyTorch's on the CPU and the GPU, NumPy's, Python's) in every
checkpoint and restores them on resume, so that a resumed run draws the same dropout masks and
in-process augmentations as the run left alone. The training set's order has its own generator, saved by
the DataModule (data/base.py); together they make a resume from an end-of-epoch checkpoint exact.
Lightning restores them too when it tests a checkpoint (`ckpt_path=best`): testing draws nothing random.
Under DDP, Lightning's DistributedSampler orders the data by seed and epoch, which a resume also repeats."""

import random
from typing import Any

import numpy as np
import torch
from lightning.pytorch import Callback


class RandomStateCheckpoint(Callback):
    def state_dict(self) -> dict[str, Any]:
        # Plain containers and tensors: checkpoints load with torch.load's weights_only default.
        algorithm, keys, *position_and_gaussian = np.random.get_state()
        states = {
            "torch": torch.get_rng_state(),
            "numpy": [algorithm, keys.tolist(), *position_and_gaussian],
            "python": random.getstate(),
        }
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            # This process's device only: under DDP the processes share a seed, hence the same states.
            states["cuda"] = torch.cuda.get_rng_state()
        return states

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        # Lightning restores callbacks before its loops build the first training iterator, whose workers'
        # seeds and the first dropout masks then come from the restored states, as they did before.
        torch.set_rng_state(state_dict["torch"])
        algorithm, keys, position, has_gauss, cached_gaussian = state_dict["numpy"]
        np.random.set_state(
            (algorithm, np.array(keys, dtype=np.uint32), position, has_gauss, cached_gaussian)
        )
        random.setstate(state_dict["python"])
        if "cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state(state_dict["cuda"])
