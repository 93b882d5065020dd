"""`ddp_step`: a training step of `trainer=ddp_sim` (two CPU processes, gloo) against a raw
`torch.distributed` DistributedDataParallel loop on the same model, data and batch size.

    python -m benchmarks.ddp_step <output.json> <warmup> <steps> <overrides...>

runs the raw side (used by benchmarks.run); the template side is `python -m <package>.train`."""

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from uuid import uuid4

import torch
import torch.distributed as dist
from hydra.utils import instantiate
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT
from {{ cookiecutter.package_name }}.data.base import InMemoryTensors, already_a_batch

from .startup import TRAIN
from .step_timer import seconds_per_step
from .train_steps import STEP_TIMER, hand_written_steps, one_window, run_config

PROCESSES = 2


def template_seconds_per_step(overrides: list[str], warmup: int, steps: int, log_dir: Path) -> float:
    timer_file = log_dir / f"ddp-steps-{uuid4().hex}.json"
    command = [*TRAIN, *overrides, *one_window(warmup, steps, trainer="ddp_sim")]
    command += [f"+callbacks.step_timer._target_={STEP_TIMER}", f"+callbacks.step_timer.path={timer_file}"]
    subprocess.run([*command, f"paths.log_dir={log_dir}"], cwd=PROJECT_ROOT, check=True, capture_output=True)
    return seconds_per_step(timer_file, warmup, steps)


def raw_seconds_per_step(overrides: list[str], warmup: int, steps: int, log_dir: Path) -> float:
    timer_file = log_dir / f"raw-ddp-steps-{uuid4().hex}.json"
    command = [
        sys.executable,
        "-m",
        "benchmarks.ddp_step",
        str(timer_file),
        str(warmup),
        str(steps),
        *overrides,
    ]
    subprocess.run(command, cwd=PROJECT_ROOT, check=True, capture_output=True)
    return seconds_per_step(timer_file, warmup, steps)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raw_worker(rank: int, output: str, warmup: int, steps: int, overrides: list[str], port: int) -> None:
    """One process of the hand-written loop: the same data and model as the template, DDP by hand."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=PROCESSES)
    if "OMP_NUM_THREADS" not in os.environ:  # as Lightning does: the processes share the cores
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // PROCESSES))
    cfg = run_config(overrides, warmup, steps, Path(tempfile.mkdtemp()))
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    train_set = InMemoryTensors(*datamodule.train_set.tensors)
    sampler = DistributedSampler(train_set, num_replicas=PROCESSES, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(
        train_set, batch_size=datamodule.batch_size, sampler=sampler, collate_fn=already_a_batch
    )
    model = instantiate(cfg.model, **datamodule.model_arguments())
    optimizer = instantiate(cfg.model.optimizer)(params=model.parameters())
    parallel = DistributedDataParallel(model)

    def batches_of_epoch(epoch: int) -> DataLoader:
        sampler.set_epoch(epoch)
        return loader

    step_ends = hand_written_steps(model, parallel, optimizer, batches_of_epoch, warmup + steps)
    if rank == 0:
        Path(output).write_text(json.dumps({"step_ends": step_ends}))
    dist.destroy_process_group()


if __name__ == "__main__":
    output, warmup, steps, *overrides = sys.argv[1:]
    torch.multiprocessing.spawn(
        raw_worker, args=(output, int(warmup), int(steps), overrides, free_port()), nprocs=PROCESSES
    )
