"""The benchmarks: their arithmetic, the generated table, and a quick run of all of them that writes
results.json."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT

from benchmarks.measure import Comparison, at_most, fastest, interleaved_medians
from benchmarks.run import BENCHMARKS, part_benchmarks, table
from benchmarks.step_timer import seconds_per_step
from benchmarks.tabular_fit import TARGET, mixed_table

# Every project's benchmarks; an optional part adds its own (serving: serve_rps).
NAMES = {"train_step_resnet18", "train_step_mlp", "startup", "ddp_step", "dataloader", "tabular_fit"}
PART_NAMES = set(part_benchmarks())


def test_the_benchmarks_have_their_contracted_names():
    assert set(BENCHMARKS) == NAMES | PART_NAMES
    assert {"serve_rps"} >= PART_NAMES


def test_measurements_alternate_after_a_discarded_warm_up():
    calls = []

    def measure(side: str, values: list[float]):
        return lambda: calls.append(side) or values.pop(0)

    template, baseline, values = interleaved_medians(
        measure("template", [99.0, 3.0, 1.0, 2.0]), measure("baseline", [99.0, 5.0, 4.0, 6.0]), repeats=3
    )
    assert calls == ["template", "baseline"] * 4
    assert (template, baseline) == (2.0, 5.0)  # medians; the 99s were the warm-up
    assert values == {"template": [3.0, 1.0, 2.0], "baseline": [5.0, 4.0, 6.0]}


def test_training_steps_keep_each_series_fastest_repeat():
    # A busy moment slowed the template's second repeat and the baseline's first: neither counts.
    assert fastest({"template": [3.0, 4.5, 3.1], "bare": [4.0, 2.9, 3.0]}) == {"template": 3.0, "bare": 2.9}


def test_a_step_is_timed_over_a_window_after_the_warm_up(tmp_path):
    timings = tmp_path / "steps.json"
    timings.write_text(json.dumps({"step_ends": [0.0, 10.0, 11.0, 12.0, 14.0, 100.0]}))
    # Steps 3-5 end at 11, 12 and 14 s after step 2 ended at 10 s: 4 s over 3 steps.
    assert seconds_per_step(timings, warmup=2, steps=3) == pytest.approx(4 / 3)
    with pytest.raises(RuntimeError, match="has 6 steps; the benchmark needs 7"):
        seconds_per_step(timings, warmup=2, steps=5)


def test_ratios_goals_and_the_table():
    slow = Comparison("train_step_mlp", 1.2, 1.0, "s/step", "ratio <= 1.15", at_most(1.15))
    quick = Comparison("dataloader", 300.0, 9000.0, "images/s")
    assert slow.meets_goal is False and quick.meets_goal is None
    assert slow.as_json()["ratio"] == 1.2 and quick.as_json()["ratio"] == 0.03333
    rendered = table([slow, quick]).splitlines()
    assert rendered[1].split()[-1] == "NO" and rendered[2].split()[-1] == "-"


def test_the_generated_table_mixes_types_with_gaps_and_a_learnable_target():
    table = mixed_table(2_000)
    assert table.equals(mixed_table(2_000))  # seeded: every run times the same table
    assert all(pd.api.types.is_string_dtype(table[column]) for column in ("region", "plan"))
    assert pd.api.types.is_bool_dtype(table["member"])
    assert 0.02 < table["tenure"].isna().mean() < 0.08
    # A linear fit on the numbers alone explains part of the target, not all: there is more to find.
    numbers = table[["age", "income", "visits"]].to_numpy(dtype=float)
    design = np.column_stack([numbers, np.ones(len(table))])
    residual = table[TARGET] - design @ np.linalg.lstsq(design, table[TARGET], rcond=None)[0]
    assert 0.2 < 1 - residual.var() / table[TARGET].var() < 0.8


@pytest.mark.slow
def test_a_quick_run_writes_every_result(tmp_path):
    output = tmp_path / "results.json"
    command = [sys.executable, "-m", "benchmarks.run", "--quick", "--output", str(output)]
    run = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    # Quick sizes say nothing about speed: the exit status (a missed goal) is not checked here.
    assert run.returncode in (0, 1), run.stderr[-3000:]
    results = json.loads(output.read_text())
    assert set(results) == NAMES | PART_NAMES
    for name, result in results.items():
        assert result["template"] > 0 and result["baseline"] > 0, name
        assert result["ratio"] == pytest.approx(result["template"] / result["baseline"], rel=1e-3), name
    assert results["startup"]["help_seconds"] > 0
    for name in ("train_step_mlp", "train_step_resnet18"):
        assert results[name]["bare_lightning"] > 0 and results[name]["bare_lightning_ratio"] > 0
    if "serve_rps" in PART_NAMES:
        latencies = {"mlp_onnx_ms", "resnet18_torch_ms", "mlp_onnx_over_eager_latency"}
        assert latencies <= results["serve_rps"].keys()
    assert results["dataloader"]["uint8_batches_images_per_second"] > 0
    # The MLP step is weighed against Lightning's bare loop; the hand-written one comes along.
    mlp = results["train_step_mlp"]
    assert mlp["baseline"] == mlp["bare_lightning"] and mlp["hand_written"] > 0
    fit = results["tabular_fit"]
    assert fit["template"] > fit["baseline"] > 0  # a network's training phase against boosting's fit
    assert -1 < fit["test_r2"] <= 1 and fit["r2_minus_baseline"] == pytest.approx(
        fit["test_r2"] - fit["baseline_test_r2"]
    )
    assert set(fit["scaling"]) == {"1000_rows", "2000_rows"}
    assert all(row["peak_memory_mb"] > 100 for row in fit["scaling"].values())  # Python + PyTorch, at least
    assert "train_step_mlp" in run.stdout and Path(output).stat().st_size > 0
