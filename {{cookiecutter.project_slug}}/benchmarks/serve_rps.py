"""`serve_rps`: requests per second of the project's prediction API (`serve`: validation, limits, the
bundle's preprocessing, ONNX Runtime, decisions) against the minimal FastAPI app around the same model
(minimal_api.py), each a single-worker server process under the same load. Also: ONNX Runtime against
PyTorch eager latency for one example, for the tabular MLP and the ResNet18 bundles."""

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT, compose_run_config
from {{ cookiecutter.package_name }}.deployment.load_test import run_load_test
from {{ cookiecutter.package_name }}.deployment.predictor import Predictor
from {{ cookiecutter.package_name }}.export import export
from {{ cookiecutter.package_name }}.train import train

from .ddp_step import free_port
from .measure import Comparison, at_least, interleaved_medians

SERVE = [sys.executable, "-m", "{{ cookiecutter.package_name }}.serve"]
TINY_TRAINING = [
    "trainer=cpu",
    "trainer.max_epochs=1",
    "+trainer.limit_train_batches=2",
    "+trainer.limit_val_batches=1",
    "+trainer.limit_test_batches=1",
    "explain.after_training=false",
    "compare_baselines=false",
    "report.bootstrap_resamples=10",
]


def bundle_of(experiment: list[str], log_dir: Path) -> Path:
    """A model bundle of a briefly trained model: the speed of serving does not depend on its accuracy."""
    run = compose_run_config("train", [*experiment, *TINY_TRAINING], log_dir)
    train(run)
    checkpoint = Path(run.paths.output_dir) / "checkpoints" / "last.ckpt"
    return export(compose_run_config("export", [*experiment, f"ckpt_path={checkpoint}"], log_dir))


@contextmanager
def server(command: list[str], port: int) -> Iterator[str]:
    """A server process on `port` until the block ends; its URL once it answers."""
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/metadata", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command} did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def project_api(bundle: Path) -> tuple[list[str], int]:
    port = free_port()
    return [*SERVE, f"model_dir={bundle}", f"port={port}"], port


def minimal_api(bundle: Path) -> tuple[list[str], int]:
    port = free_port()
    return [sys.executable, "-m", "benchmarks.minimal_api", str(bundle), str(port)], port


def requests_per_second(url: str, requests: int, concurrency: int) -> float:
    result = run_load_test(url, requests, concurrency)
    if result.errors:
        raise RuntimeError(f"{url} failed requests under load: {dict(result.errors)}")
    return result.throughput


def one_example_latency_ms(bundle: Path, runtime: str, repeats: int) -> float:
    """Median milliseconds of one forward pass of one example (after a warm-up pass)."""
    predictor = Predictor(bundle, runtime)
    example = np.zeros((1, *example_shape(predictor)), dtype=np.float32)
    predictor.predict(example)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        predictor.predict(example)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def example_shape(predictor: Predictor) -> tuple[int, ...]:
    if predictor.kind == "table":
        return (predictor.config["hparams"]["input_size"],)
    return tuple(predictor.schema["shape"])


def bench(sizes: Any, log_dir: Path) -> Comparison:
    """The serving part's benchmark, run by run.py as `serve_rps` (`sizes`: run.Sizes)."""
    table = bundle_of(["experiment=tabular_breast_cancer"], log_dir)
    images = bundle_of([], log_dir)
    load = (sizes.serve_requests, sizes.serve_concurrency)

    def measured(api: Callable[[Path], tuple[list[str], int]]) -> Callable[[], float]:
        def measure() -> float:
            command, port = api(table)
            with server(command, port) as url:
                return requests_per_second(url, *load)

        return measure

    template, baseline, _ = interleaved_medians(
        measured(project_api), measured(minimal_api), sizes.repeats, sizes.warmups
    )
    latency = {
        f"{model}_{runtime}_ms": one_example_latency_ms(bundle, runtime, sizes.latency_repeats)
        for model, bundle in (("mlp", table), ("resnet18", images))
        for runtime in ("onnx", "torch")
    }
    onnx_vs_eager = {
        f"{model}_onnx_over_eager_latency": latency[f"{model}_onnx_ms"] / latency[f"{model}_torch_ms"]
        for model in ("mlp", "resnet18")
    }
    return Comparison(
        "serve_rps",
        template,
        baseline,
        "requests/s",
        "ratio >= 1.0",
        at_least(1.0),
        extra={**latency, **onnx_vs_eager},
    )
