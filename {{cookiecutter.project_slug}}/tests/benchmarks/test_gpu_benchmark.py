"""The GPU fast-path benchmark (`make bench-gpu`): its FLOP ceiling, its two hand-written loops, the data
it keeps on the device, its configuration on a GPU, and quick runs on the CPU (speed is measured on a GPU,
not here)."""

import gc
import json
import subprocess
import sys
import weakref
from types import SimpleNamespace

import pytest
import torch

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT
from {{ cookiecutter.package_name }}.config_checks import check_config
from {{ cookiecutter.package_name }}.data.digits import DigitsDataModule
from {{ cookiecutter.package_name }}.models.image_classifier import ImageClassifier

from benchmarks import gpu_fast_path, train_steps
from benchmarks.device_data import DevicePermutations, DigitsOnDevice
from benchmarks.flop_ceiling import ceiling_images_per_second, gflop_per_image, peak_tflops
from benchmarks.gpu_fast_path import QUICK, data_overrides, fast_path_overrides
from benchmarks.step_timer import StepTimer, synchronize, synchronizing_at, window_edges
from benchmarks.train_steps import run_config

CUDA = torch.device("cuda")
NAMES = ["gpu_fast_path_vs_hand_tuned", "gpu_fast_path_vs_pytorch_defaults", "gpu_fast_path_vs_flop_ceiling"]


@pytest.mark.parametrize(
    ("name", "tflops"),
    [
        ("NVIDIA H200", 989.0),
        ("NVIDIA H100 80GB HBM3", 989.0),
        ("NVIDIA H100 PCIe", 756.0),
        ("NVIDIA H100 NVL", 835.0),
        ("NVIDIA A100-SXM4-80GB", 312.0),
        ("NVIDIA L40S", 362.0),
        ("NVIDIA L40", 181.0),
        ("NVIDIA L4", 121.0),
        ("Tesla T4", None),  # unknown: --peak-tflops, or no ceiling
    ],
)
def test_the_peak_comes_from_the_gpus_model_name(name, tflops):
    assert peak_tflops(name) == tflops


def test_resnet18_takes_its_known_flops_per_image_and_the_ceiling_follows():
    model = ImageClassifier(num_classes=10, optimizer={"_target_": "torch.optim.AdamW", "_partial_": True})
    assert gflop_per_image(model, 224) == pytest.approx(10.65, rel=0.01)  # forward and backward
    assert gflop_per_image(model, 112) == pytest.approx(10.65 / 4, rel=0.1)  # convolutions follow the area
    assert all(parameter.grad is None for parameter in model.parameters())  # counting left no gradients
    assert ceiling_images_per_second(989.0, 10.65) == pytest.approx(92_864, rel=1e-3)


def test_without_a_gpu_it_says_how_to_check_it_on_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit, match="needs an NVIDIA GPU.*--quick --device cpu"):
        gpu_fast_path.main([])


def test_on_a_gpu_the_fast_path_is_trainer_gpu_with_the_digits_on_the_device(tmp_path):
    fast_path = fast_path_overrides(CUDA, compile_model=True, extra=("callbacks.finite_loss=null",))
    overrides = [*data_overrides(CUDA, gpu_fast_path.Sizes()), *fast_path]
    cfg = run_config(overrides, 20, 50, tmp_path, trainer=None)
    check_config(cfg)  # every key is one its target takes
    assert cfg.trainer.accelerator == "gpu" and cfg.trainer.benchmark is True
    assert cfg.model.channels_last is True and cfg.compile is True
    assert cfg.data._target_ == "benchmarks.device_data.DigitsOnDevice" and cfg.data.device == "cuda"
    assert (cfg.data.image_size, cfg.data.batch_size, cfg.data.min_train_examples) == (224, 256, 71 * 256)
    assert cfg.callbacks.finite_loss is None  # --fast-path overrides, to measure what a default costs


def test_only_the_timed_windows_edges_wait_for_the_gpu(monkeypatch, tmp_path):
    waited = []
    monkeypatch.setattr(torch.cuda, "synchronize", waited.append)
    edges = window_edges(warmup=2, steps=3)
    assert edges == [1, 4]  # the ends of the last warm-up step and of the last timed one

    def steps_that_waited(step_end) -> list[int]:
        waits = []
        for step in range(6):
            before = len(waited)
            step_end(step)
            waits += [step] * (len(waited) - before)
        return waits

    assert steps_that_waited(synchronizing_at(CUDA, edges)) == [1, 4]
    timer = StepTimer(str(tmp_path / "steps.json"), synchronize_at=edges)
    on_gpu = SimpleNamespace(device=CUDA)
    assert steps_that_waited(lambda step: timer.on_train_batch_end(None, on_gpu, None, None, step)) == [1, 4]
    assert len(timer.step_ends) == 6
    synchronize(torch.device("cpu"))
    assert waited == [CUDA] * 4  # nothing to wait for on the CPU


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
    assert on_device.normalisation == plain.normalisation
    assert on_device.num_workers == 0 and not on_device.pin_memory  # nothing to load or pin
    again = DigitsOnDevice(device="cpu", min_train_examples=5000, image_size=8)
    again.setup()
    assert again.train_set is on_device.train_set  # built once per process, reused by every run


def test_training_batches_are_indexed_on_the_device_and_evaluation_stays_on_the_cpu():
    on_device = DigitsOnDevice(device="meta", min_train_examples=600, image_size=8, batch_size=64)
    on_device.setup()
    assert on_device.train_set.tensors[0].is_meta and on_device.train_set.tensors[1].is_meta
    for split in (on_device.val_set, on_device.test_set):  # the project's evaluation reads them on the CPU
        assert all(tensor.device.type == "cpu" for tensor in split.tensors)
    batches = list(on_device.train_dataloader())
    assert len(batches) == len(on_device.train_set) // 64  # full batches only
    assert all(images.is_meta and images.shape == (64, 3, 8, 8) for images, _ in batches)


def test_device_permutations_are_shuffled_full_batches_of_every_index_once():
    batches = list(DevicePermutations(10, 3, torch.device("cpu"), torch.Generator().manual_seed(0)))
    assert [len(batch) for batch in batches] == [3, 3, 3]
    indices = torch.cat(batches)
    assert len(set(indices.tolist())) == 9 and not torch.equal(indices, torch.arange(9))


def test_each_run_frees_its_model_before_the_next_one():
    class Run:  # like Lightning's trainer and module: objects that refer to each other
        def __init__(self) -> None:
            self.itself = self
            self.weights = torch.zeros(8)

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
def test_the_hand_tuned_loop_trains_in_bf16_channels_last_and_the_default_one_in_fp32(
    monkeypatch, tmp_path, tuned
):
    seen = []

    def watched_steps(model, forward, *args, **kwargs):
        def note(module, inputs):
            channels_last = inputs[0].is_contiguous(memory_format=torch.channels_last)
            seen.append((torch.is_autocast_enabled("cpu"), channels_last))

        model.backbone.register_forward_pre_hook(note)
        return real_steps(model, forward, *args, **kwargs)

    real_steps = train_steps.hand_written_steps
    monkeypatch.setattr(train_steps, "hand_written_steps", watched_steps)
    device = torch.device("cpu")
    layout = f"model.channels_last={str(tuned).lower()}"
    cfg = run_config([*data_overrides(device, QUICK), layout], *QUICK.steps, tmp_path, None)
    seconds = gpu_fast_path.loop_seconds_per_step(cfg, device, QUICK, tuned, compile_model=False)
    assert seconds > 0
    assert set(seen) == {(tuned, tuned)} and len(seen) == sum(QUICK.steps)


@pytest.mark.slow
def test_with_compile_both_the_fast_path_and_the_hand_tuned_loop_are_compiled(monkeypatch, tmp_path):
    compiled = []
    compile_function = torch.compile

    def eager_compile(model, **kwargs):  # Dynamo's capture without code generation: seconds, not minutes
        compiled.append(model)
        return compile_function(model, **{**kwargs, "backend": "eager"})

    monkeypatch.setattr(torch, "compile", eager_compile)
    comparisons = gpu_fast_path.measure(torch.device("cpu"), QUICK, True, None, tmp_path)
    assert len(compiled) == 2  # model.compile() in train(), torch.compile() in the hand-tuned loop
    assert [c.name for c in comparisons] == NAMES[:2]  # no peak given: no ceiling
    assert all(c.extra["compile"] for c in comparisons)


@pytest.mark.slow
def test_a_quick_run_on_the_cpu_writes_the_three_comparisons(tmp_path):
    output = tmp_path / "results_gpu.json"
    command = [sys.executable, "-m", "benchmarks.gpu_fast_path", "--quick", "--device", "cpu"]
    command += ["--peak-tflops", "1", "--fast-path", "callbacks.lr_monitor=null", "--output", str(output)]
    run = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stderr[-3000:]  # quick sizes on a CPU say nothing about goals
    assert "fast_path: " in run.stderr and "hand_tuned: " in run.stderr  # each run, as it ends
    results = json.loads(output.read_text())
    assert list(results) == NAMES
    tuned, defaults, flops = (results[name] for name in NAMES)
    assert tuned["device"] == "CPU" and tuned["image_size"] == QUICK.image_size and tuned["compile"] is False
    assert tuned["fast_path_overrides"] == ["callbacks.lr_monitor=null"]
    assert tuned["template"] == defaults["template"] == flops["template"]  # one fast-path median
    assert tuned["template"] == pytest.approx(QUICK.batch_size / tuned["fast_path_seconds_per_step"])
    assert tuned["baseline"] == pytest.approx(QUICK.batch_size / tuned["hand_tuned_seconds_per_step"])
    assert flops["baseline"] == pytest.approx(1e12 / (flops["gflop_per_image"] * 1e9))
    assert flops["gflop_per_image"] == pytest.approx(10.65 * (QUICK.image_size / 224) ** 2, rel=0.2)
    for result in results.values():
        assert result["ratio"] == pytest.approx(result["template"] / result["baseline"], rel=1e-3)
