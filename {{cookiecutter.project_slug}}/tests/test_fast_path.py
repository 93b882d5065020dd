"""The GPU fast path, checked where it can be without a GPU: what `trainer=gpu` switches on, channels-last
giving the same results, and torch.compile leaving checkpoints as they were and compiling once, not every
epoch."""

import json
import os
from pathlib import Path

import pytest
import torch
from lightning.pytorch import Callback
from omegaconf import OmegaConf

from {{ cookiecutter.package_name }}.config import default_workers
from {{ cookiecutter.package_name }}.models.image_classifier import ImageClassifier
from {{ cookiecutter.package_name }}.train import train
from {{ cookiecutter.package_name }}.utils import accelerators
from {{ cookiecutter.package_name }}.utils.accelerators import (
    NVML_GPU_CHECK,
    cheap_gpu_checks_without_gpus,
)

ADAMW = {"_target_": "torch.optim.AdamW", "_partial_": True, "lr": 1e-3}


def pretend_gpu(monkeypatch, bf16: bool = True) -> None:
    """What the resolvers see on a machine with an NVIDIA GPU (with or without bfloat16)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: bf16)


@pytest.mark.parametrize(("bf16", "precision"), [(True, "bf16-mixed"), (False, "16-mixed")])
def test_trainer_gpu_switches_on_the_fast_path(make_config, monkeypatch, bf16, precision):
    pretend_gpu(monkeypatch, bf16)
    cfg = OmegaConf.to_container(make_config("train", "trainer=gpu"), resolve=True)
    assert cfg["trainer"]["precision"] == precision
    assert cfg["trainer"]["benchmark"] is True  # cuDNN autotuning
    assert cfg["model"]["channels_last"] is True
    deterministic = OmegaConf.to_container(
        make_config("train", "trainer=gpu", "trainer.deterministic=true"), resolve=True
    )
    assert deterministic["trainer"]["benchmark"] is False  # autotuning picks algorithms by timing


def test_image_folders_load_in_workers_into_pinned_memory_as_uint8_on_a_gpu(make_config, monkeypatch):
    pretend_gpu(monkeypatch)
    on_gpu = OmegaConf.to_container(make_config("train", "data=image_folder", "trainer=gpu"), resolve=True)
    on_cpu = OmegaConf.to_container(make_config("train", "data=image_folder", "trainer=cpu"), resolve=True)
    assert on_gpu["data"]["pin_memory"] is True and on_cpu["data"]["pin_memory"] is False
    assert on_gpu["data"]["normalise_on_device"] is True and on_cpu["data"]["normalise_on_device"] is False
    assert on_cpu["data"]["num_workers"] == default_workers() >= 1
    assert on_cpu["model"]["channels_last"] is False


def test_the_default_number_of_workers_leaves_a_core_to_training(monkeypatch):
    for cores, workers in ((1, 1), (2, 1), (4, 3), (64, 8)):
        monkeypatch.setattr("os.sched_getaffinity", lambda pid, cores=cores: set(range(cores)))
        assert default_workers() == workers


def test_channels_last_gives_the_same_predictions():
    torch.manual_seed(0)
    standard = ImageClassifier(num_classes=3, optimizer=ADAMW).eval()
    channels_last = ImageClassifier(num_classes=3, optimizer=ADAMW, channels_last=True).eval()
    channels_last.load_state_dict(standard.state_dict())
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(standard(images), channels_last(images), atol=1e-5)
    assert channels_last.backbone.conv1.weight.is_contiguous(memory_format=torch.channels_last)


def compile_quickly(monkeypatch) -> list:
    """torch.compile with TorchDynamo's capture but without code generation; returns what it compiled."""
    compiled = []
    original_compile = torch.compile

    def capture_only(forward, **options):
        compiled.append(forward)
        return original_compile(forward, backend="eager")

    monkeypatch.setattr(torch, "compile", capture_only)
    return compiled


def test_a_compiled_model_trains_and_saves_the_usual_checkpoint(make_config, tiny_run, monkeypatch):
    compiled = compile_quickly(monkeypatch)
    cfg = make_config("train", *tiny_run, "compile=true", "explain.after_training=false")
    metrics = train(cfg)
    assert len(compiled) == 1 and "test/acc" in metrics
    checkpoint = torch.load(Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt", weights_only=True)
    assert not any(key.startswith("_orig_mod") for key in checkpoint["state_dict"])


class CompiledGraphs(Callback):
    """How many graphs TorchDynamo has compiled by the end of each training epoch (its validation included),
    written to `path`."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.counts: list[int] = []

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.counts.append(torch._dynamo.utils.counters["stats"]["unique_graphs"])
        self.path.write_text(json.dumps(self.counts))


def test_a_compiled_model_compiles_in_its_first_epoch_only(make_config, tiny_run, monkeypatch, tmp_path):
    """Training and evaluation modes and the short last batch each cost a compilation once; the epochs
    after the first reuse them (a recompilation per epoch would cost seconds to minutes each)."""
    compiled = compile_quickly(monkeypatch)
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()  # reset() keeps the counts of earlier tests in this process
    counts = tmp_path / "graphs.json"
    cfg = make_config(
        "train",
        "experiment=tabular_breast_cancer",
        *tiny_run,
        "trainer.max_epochs=3",
        "trainer.limit_train_batches=null",  # every batch, the short last one included
        "compile=true",
        "explain.after_training=false",
        "compare_baselines=false",
        f"+callbacks.compiled_graphs._target_={__name__}.CompiledGraphs",
        f"+callbacks.compiled_graphs.path={counts}",
    )
    train(cfg)
    first, *later = json.loads(counts.read_text())
    assert len(compiled) == 1 and first > 0 and later == [first, first]


@pytest.mark.parametrize(("devices", "kept"), [(0, False), (2, True)])
def test_the_fork_safe_gpu_check_is_dropped_only_without_a_gpu(monkeypatch, devices, kept):
    """With GPUs, Lightning's NVML-based check keeps later forks working; without one it only costs every
    Adam step a failing library load."""
    monkeypatch.setenv(NVML_GPU_CHECK, "1")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: devices)
    cheap_gpu_checks_without_gpus()
    assert (os.environ.get(NVML_GPU_CHECK) == "1") is kept


class CalledError(Exception):
    """Stops `train` where the function under test is called."""


def test_training_makes_the_gpu_check_cheap_before_it_builds_anything(make_config, monkeypatch):
    def called() -> None:
        raise CalledError

    monkeypatch.setattr(accelerators, "cheap_gpu_checks_without_gpus", called)
    with pytest.raises(CalledError):
        train(make_config("train", "trainer=cpu"))
