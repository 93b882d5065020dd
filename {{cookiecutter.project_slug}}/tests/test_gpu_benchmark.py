"""The GPU fast-path benchmark (`make bench-gpu`): its arithmetic, its two hand-written loops, the data it
keeps on the device, and a quick run on the CPU (speed is measured on a GPU, not here)."""

import gc
import json
import subprocess
import sys
import weakref
from types import SimpleNamespace

import pytest
import torch
from benchmarks import gpu_fast_path
from benchmarks.device_data import DigitsOnDevice
from benchmarks.gpu_fast_path import QUICK, gflop_per_image, peak_tflops
from benchmarks.step_timer import StepTimer, synchronize, synchronizing_at, window_edges
from benchmarks.train_steps import run_config

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT
from {{ cookiecutter.package_name }}.data.digits import DigitsDataModule


def test_the_flop_ceiling_follows_the_image_area_and_the_gpu_data_sheets():
    assert gflop_per_image(224) == pytest.approx(10.65)
    assert gflop_per_image(112) == pytest.approx(10.65 / 4)
    assert peak_tflops("NVIDIA H200") == peak_tflops("NVIDIA H100 80GB HBM3") == 989.0
    assert peak_tflops("NVIDIA H100 PCIe") == 756.0
    assert (peak_tflops("NVIDIA L40S"), peak_tflops("NVIDIA L4")) == (362.0, 121.0)
    assert peak_tflops("Tesla T4") is None  # unknown: --peak-tflops, or no ceiling


def test_without_a_gpu_it_says_how_to_check_it_on_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit, match="needs an NVIDIA GPU.*--quick --device cpu"):
        gpu_fast_path.main([])


def test_only_the_timed_windows_edges_wait_for_the_gpu(monkeypatch, tmp_path):
    waited = []
    monkeypatch.setattr(torch.cuda, "synchronize", waited.append)
    gpu = torch.device("cuda", 0)
    edges = window_edges(warmup=2, steps=3)
    assert edges == [1, 4]  # the ends of the last warm-up step and of the last timed one

    def steps_that_waited(step_end) -> list[int]:
        waits = []
        for step in range(6):
            before = len(waited)
            step_end(step)
            waits += [step] * (len(waited) - before)
        return waits

    assert steps_that_waited(synchronizing_at(gpu, edges)) == [1, 4]
    timer = StepTimer(str(tmp_path / "steps.json"), synchronize_at=edges)
    on_gpu = SimpleNamespace(device=gpu)
    assert steps_that_waited(lambda step: timer.on_train_batch_end(None, on_gpu, None, None, step)) == [1, 4]
    assert len(timer.step_ends) == 6
    synchronize(torch.device("cpu"))
    assert waited == [gpu] * 4  # nothing to wait for on the CPU


def test_digits_on_the_device_fill_the_timed_window_and_keep_the_splits():
    on_device = DigitsOnDevice(device="cpu", min_train_examples=5000, image_size=8, num_workers=4)
    on_device.setup()
    plain = DigitsDataModule(image_size=8)
    plain.setup()
    train_images, train_labels = on_device.train_set.tensors
    repeats = len(train_labels) // len(plain.train_set)
    assert len(train_labels) >= 5000 and len(train_labels) == repeats * len(plain.train_set)
    assert torch.equal(train_images[: len(plain.train_set)], plain.train_set.tensors[0])
    assert torch.equal(on_device.test_set.tensors[1], plain.test_set.tensors[1])
    assert on_device.num_workers == 0 and not on_device.pin_memory  # nothing to load or pin
    assert on_device.train_dataloader().batch_size == plain.batch_size


def test_each_run_frees_its_data_before_the_next_one():
    class Run:  # like Lightning's trainer and data module: objects that refer to each other
        def __init__(self) -> None:
            self.itself = self
            self.data = torch.zeros(8)

    runs = []

    def measure() -> float:
        run = Run()
        runs.append(weakref.ref(run))
        return 1.0

    gc.disable()  # as if no collection happened to come by between two runs
    try:
        assert gpu_fast_path.releasing_memory(measure)() == 1.0
        assert runs[0]() is None
    finally:
        gc.enable()


@pytest.mark.parametrize("tuned", [False, True])
def test_the_hand_tuned_loop_trains_in_bf16_channels_last_and_the_naive_one_in_fp32(
    monkeypatch, tmp_path, tuned
):
    seen = []

    def watched_steps(model, forward, *args, **kwargs):
        def note(module, inputs):
            channels_last = inputs[0].is_contiguous(memory_format=torch.channels_last)
            seen.append((torch.is_autocast_enabled("cpu"), channels_last))

        model.backbone.register_forward_pre_hook(note)
        return real_steps(model, forward, *args, **kwargs)

    real_steps = gpu_fast_path.hand_written_steps
    monkeypatch.setattr(gpu_fast_path, "hand_written_steps", watched_steps)
    device = torch.device("cpu")
    layout = f"model.channels_last={str(tuned).lower()}"
    cfg = run_config([*gpu_fast_path.data_overrides(device, QUICK), layout], *QUICK.steps, tmp_path, None)
    seconds = gpu_fast_path.hand_written_seconds_per_step(cfg, device, QUICK, tuned, compile_model=False)
    assert seconds > 0
    assert set(seen) == {(tuned, tuned)} and len(seen) == sum(QUICK.steps)


@pytest.mark.slow
def test_a_quick_run_on_the_cpu_writes_the_three_comparisons(tmp_path):
    output = tmp_path / "results_gpu.json"
    command = [sys.executable, "-m", "benchmarks.gpu_fast_path", "--quick", "--device", "cpu"]
    command += ["--peak-tflops", "1", "--output", str(output)]
    run = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stderr[-3000:]  # quick sizes on a CPU say nothing about goals
    results = json.loads(output.read_text())
    assert set(results) == {"gpu_fast_path_vs_hand_tuned", "gpu_fast_path_vs_naive_fp32", "gpu_flop_fraction"}
    step = results["gpu_fast_path_vs_hand_tuned"]
    assert step["device"] == "CPU" and step["image_size"] == QUICK.image_size and step["compile"] is False
    assert results["gpu_fast_path_vs_naive_fp32"]["template"] == step["template"]  # one fast-path median
    flops = results["gpu_flop_fraction"]
    assert flops["template"] == pytest.approx(QUICK.batch_size / step["template"])
    assert flops["baseline"] == pytest.approx(1e12 / (gflop_per_image(QUICK.image_size) * 1e9))
    assert flops["ratio"] == pytest.approx(flops["template"] / flops["baseline"], rel=1e-3)
