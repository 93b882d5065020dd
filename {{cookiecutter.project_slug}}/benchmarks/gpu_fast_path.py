"""`make bench-gpu`: the GPU fast path, ResNet18's training step at 224 px on an NVIDIA GPU.

    python -m benchmarks.gpu_fast_path              # a few minutes on a GPU
    python -m benchmarks.gpu_fast_path --compile    # torch.compile in the fast path and the hand-tuned loop
    python -m benchmarks.gpu_fast_path --fast-path callbacks.finite_loss=null   # a setting's cost
    python -m benchmarks.gpu_fast_path --quick --device cpu --peak-tflops 1   # checks that it runs, not speed

The project's step (`train()` with `trainer=gpu`: bf16 mixed precision, channels-last, cuDNN autotuning,
its default callbacks and logger) against two hand-written loops on the same model, data, batch and
optimizer: one with PyTorch's defaults (fp32 tensors; convolutions in TF32 where the GPU has it; the
default memory layout; no autotuning: a first PyTorch loop) and a hand-tuned one (bf16 autocast,
channels-last, cuDNN autotuning: what an expert writes). The fast path's images/s are also compared with
the GPU's ceiling (flop_ceiling.py). The digits' training split stays on the GPU, repeated to fill the
timed window, so the step is timed, not data loading (the `dataloader` benchmark measures that).

Writes `benchmarks/results_gpu.json` in `make bench`'s format; the exit status is 1 if a goal is missed."""

import argparse
import contextlib
import gc
import io
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig

from .flop_ceiling import ceiling_images_per_second, gflop_per_image, peak_tflops
from .measure import Comparison, at_least, interleaved_runs, medians
from .run import table
from .train_steps import RESNET18, hand_written_seconds_per_step, run_config, template_seconds_per_step

RESULTS_FILE = Path(__file__).parent / "results_gpu.json"
# The fast path's speed against each loop's, and against the FLOP ceiling.
GOALS = {"hand_tuned": 0.97, "pytorch_defaults": 2.0, "flop_ceiling": 0.25}


@dataclass(frozen=True)
class Sizes:
    image_size: int = 224
    batch_size: int = 256
    steps: tuple[int, int] = (20, 50)  # (warm-up, timed) steps of each run
    repeats: int = 3
    warmups: int = 1


QUICK = Sizes(image_size=32, batch_size=16, steps=(2, 3), repeats=1, warmups=0)


def training_device(requested: str) -> torch.device:
    if requested == "cuda" and not torch.cuda.is_available():
        raise SystemExit(
            f"The GPU benchmark needs an NVIDIA GPU, and PyTorch {torch.__version__} sees none (CUDA build: "
            f"{torch.version.cuda or 'no'}). To check that it runs on this machine: "
            "python -m benchmarks.gpu_fast_path --quick --device cpu --peak-tflops 1"
        )
    if requested == "cuda" and not torch.cuda.is_bf16_supported():
        raise SystemExit(
            f"{torch.cuda.get_device_name()} has no bf16 (GPUs from Ampere on have it): the fast path "
            "would train in fp16 with loss scaling, which the hand-tuned loop here does not."
        )
    return torch.device(requested)


def data_overrides(device: torch.device, sizes: Sizes) -> list[str]:
    """ResNet18 on the digits, kept on `device`, with enough training examples for every timed step."""
    warmup, steps = sizes.steps
    return [
        *RESNET18,
        "data._target_=benchmarks.device_data.DigitsOnDevice",
        f"+data.device={device.type}",
        f"+data.min_train_examples={(warmup + steps + 1) * sizes.batch_size}",
        f"data.image_size={sizes.image_size}",
        f"data.batch_size={sizes.batch_size}",
    ]


def fast_path_overrides(device: torch.device, compile_model: bool, extra: tuple[str, ...] = ()) -> list[str]:
    """`trainer=gpu` on a GPU; on the CPU (a smoke test), the settings it chooses: bf16, channels-last.
    `extra` overrides come last (e.g. `callbacks.finite_loss=null`, to measure what a default costs)."""
    fast = ["trainer=gpu"] if device.type == "cuda" else ["trainer=cpu", "trainer.precision=bf16-mixed"]
    return [*fast, "model.channels_last=true", f"compile={str(compile_model).lower()}", *extra]


def releasing_memory(measure: Callable[[], float]) -> Callable[[], float]:
    """`measure`, after which its model, optimizer state and activations are freed: Lightning's objects
    refer to each other, so only a collection of cycles frees them before the next run needs the memory."""

    def measured() -> float:
        try:
            return measure()
        finally:
            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()

    return measured


def reported(name: str, measure: Callable[[], float]) -> Callable[[], float]:
    """`measure`, whose every value is printed when it is known: a run cut short keeps what it measured."""

    def measured() -> float:
        value = measure()
        print(f"{name}: {value:.6f} s/step", file=sys.stderr, flush=True)
        return value

    return measured


def loop_seconds_per_step(
    cfg: DictConfig, device: torch.device, sizes: Sizes, tuned: bool, compile_model: bool
) -> float:
    """A hand-written loop's seconds per step on `device`: PyTorch's defaults (`tuned=False`) or tuned.
    cfg's model.channels_last says the memory layout."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = tuned
    bf16 = partial(torch.autocast, device.type, dtype=torch.bfloat16)
    return hand_written_seconds_per_step(
        cfg,
        *sizes.steps,
        device,
        precision=bf16 if tuned else contextlib.nullcontext,
        compile_model=tuned and compile_model,
    )


def measure(
    device: torch.device,
    sizes: Sizes,
    compile_model: bool,
    peak: float | None,
    log_dir: Path,
    fast_path_extra: tuple[str, ...] = (),
) -> list[Comparison]:
    data = data_overrides(device, sizes)
    fast = [*data, *fast_path_overrides(device, compile_model, fast_path_extra)]

    def loop_config(channels_last: bool) -> DictConfig:
        layout = f"model.channels_last={str(channels_last).lower()}"
        return run_config([*data, layout], *sizes.steps, log_dir, trainer=None)

    defaults, tuned = loop_config(channels_last=False), loop_config(channels_last=True)
    runs = {
        "fast_path": lambda: template_seconds_per_step(fast, *sizes.steps, log_dir, trainer=None),
        "pytorch_defaults": partial(loop_seconds_per_step, defaults, device, sizes, False, False),
        "hand_tuned": partial(loop_seconds_per_step, tuned, device, sizes, True, compile_model),
    }
    seconds = medians(
        interleaved_runs(
            {name: releasing_memory(reported(name, run)) for name, run in runs.items()},
            sizes.repeats,
            sizes.warmups,
        )
    )
    speed = {name: sizes.batch_size / value for name, value in seconds.items()}
    setting = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU",
        "image_size": sizes.image_size,
        "batch_size": sizes.batch_size,
        "compile": compile_model,
        "fast_path_overrides": list(fast_path_extra),
        # PyTorch's defaults: fp32 tensors, but TF32 convolutions on GPUs that have it.
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
        **{f"{name}_seconds_per_step": value for name, value in seconds.items()},
    }
    comparisons = [
        Comparison(
            f"gpu_fast_path_vs_{name}",
            speed["fast_path"],
            speed[name],
            "images/s",
            f"ratio >= {GOALS[name]}",
            at_least(GOALS[name]),
            extra=setting,
        )
        for name in ("hand_tuned", "pytorch_defaults")
    ]
    if peak is not None:
        gflop = gflop_per_image(instantiate(defaults.model, num_classes=10), sizes.image_size)
        comparisons.append(
            Comparison(
                "gpu_fast_path_vs_flop_ceiling",
                speed["fast_path"],
                ceiling_images_per_second(peak, gflop),
                "images/s",
                f"ratio >= {GOALS['flop_ceiling']}",
                at_least(GOALS["flop_ceiling"]),
                extra={**setting, "peak_tflops": peak, "gflop_per_image": gflop},
            )
        )
    return comparisons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--compile", action="store_true", help="torch.compile, fast path and hand-tuned loop")
    parser.add_argument("--peak-tflops", type=float, help="the device's peak dense bf16 TFLOP/s")
    parser.add_argument(
        "--fast-path", nargs="+", default=[], metavar="KEY=VALUE", help="more overrides for the fast path"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repeat: a smoke test")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    args = parser.parse_args(argv)
    device = training_device(args.device)
    peak = args.peak_tflops
    if peak is None and device.type == "cuda":
        peak = peak_tflops(torch.cuda.get_device_name(device))
    if peak is None:
        print("No FLOP ceiling: the device's peak is unknown here (pass --peak-tflops).", file=sys.stderr)
    sizes = QUICK if args.quick else Sizes()
    # The runs' own reports (metrics tables, file lists) would drown the results.
    with (
        tempfile.TemporaryDirectory(prefix="benchmarks-gpu-") as scratch,
        contextlib.redirect_stdout(io.StringIO()),
    ):
        comparisons = measure(device, sizes, args.compile, peak, Path(scratch), tuple(args.fast_path))
    print(table(comparisons))
    args.output.write_text(json.dumps({c.name: c.as_json() for c in comparisons}, indent=2) + "\n")
    print(f"Written: {args.output}")
    return 1 if any(c.meets_goal is False for c in comparisons) else 0


if __name__ == "__main__":
    sys.exit(main())
