"""Run the benchmarks, print a table and write `benchmarks/results.json`:

    python -m benchmarks.run                  # all of them (about ten minutes on a laptop's CPU)
    python -m benchmarks.run --only startup   # one or more by name
    python -m benchmarks.run --quick          # tiny sizes, one repeat: checks that they run, not speed

Every pair runs the project's code and a hand-written baseline side by side in this one run (medians of
the repeats, warm-up excluded; the fastest repeat for the training steps' short windows); `ratio` is
template / baseline. The exit status is 1 if a ratio misses its
goal, so a change that slows the project down fails `make bench`."""

import argparse
import contextlib
import importlib
import io
import json
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from {{ cookiecutter.package_name }}.config import compose_run_config

from . import dataloader, ddp_step, startup, tabular_fit, train_steps
from .measure import (
    Comparison,
    at_most,
    fastest,
    interleaved_medians,
    interleaved_runs,
    medians,
)

RESULTS_FILE = Path(__file__).parent / "results.json"


@dataclass(frozen=True)
class Sizes:
    repeats: int = 3
    warmups: int = 1
    mlp_steps: tuple[int, int] = (20, 150)  # (warm-up, timed) steps: 0.5 s of a tiny step
    resnet_steps: tuple[int, int] = (3, 12)
    ddp_steps: tuple[int, int] = (10, 40)
    serve_requests: int = 1000
    serve_concurrency: int = 32
    latency_repeats: int = 200
    images_per_class: int = 100
    dataloader_epochs: int = 2
    table_rows: int = 50_000  # tabular_fit's table
    scaling_rows: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    scaling_epochs: int = 2
    step_repeats: int = 5  # the train_step_* pairs, whose fastest repeat counts


QUICK = Sizes(1, 0, (2, 3), (1, 2), (2, 3), 40, 4, 10, 8, 1, 2_000, (1_000, 2_000), 1, 1)


def mlp_overrides(warmup: int, steps: int, processes: int = 1) -> list[str]:
    # Enough rows for every timed step of every process inside the first epoch (the training split is
    # about 70% of the rows), at the batch size the tables' default chooses for them (data.batch_size=auto).
    rows = 2 * processes * (warmup + steps + 1) * 1024
    return [*train_steps.MLP, f"data.source.rows={rows}"]


def train_step(
    name: str,
    overrides: list[str],
    steps: tuple[int, int],
    goal: float,
    sizes: Sizes,
    log_dir: Path,
    against_bare_lightning: bool = False,
) -> Comparison:
    """The template's step against the hand-written loop, or (`against_bare_lightning`) against Lightning's
    own loop with nothing of the template's; the other ratio comes as an extra."""
    cfg = train_steps.run_config(overrides, *steps, log_dir)
    # All three in one interleaved series (each round runs every loop once), and the fastest repeat of each.
    step_seconds = fastest(
        interleaved_runs(
            {
                "template": lambda: train_steps.template_seconds_per_step(overrides, *steps, log_dir),
                "bare": lambda: train_steps.bare_lightning_seconds_per_step(cfg, *steps, log_dir),
                "hand_written": partial(train_steps.hand_written_seconds_per_step, cfg, *steps),
            },
            sizes.step_repeats,
            sizes.warmups,
        )
    )
    template, bare, hand_written = (step_seconds[loop] for loop in ("template", "bare", "hand_written"))
    extra = {"bare_lightning": bare, "bare_lightning_ratio": bare / hand_written}
    baseline = hand_written
    if against_bare_lightning:
        extra = {**extra, "hand_written": hand_written, "hand_written_ratio": template / hand_written}
        baseline = bare
    return Comparison(name, template, baseline, "s/step", f"ratio <= {goal}", at_most(goal), extra=extra)


def bench_train_step_resnet18(sizes: Sizes, log_dir: Path) -> Comparison:
    return train_step("train_step_resnet18", train_steps.RESNET18, sizes.resnet_steps, 1.03, sizes, log_dir)


def bench_train_step_mlp(sizes: Sizes, log_dir: Path) -> Comparison:
    """The template's own cost on a tiny tabular step: against Lightning's bare loop, which alone costs a
    tabular step 1.2-1.4x a hand-written one on a CPU (reported as `bare_lightning_ratio`)."""
    overrides = mlp_overrides(*sizes.mlp_steps)
    return train_step(
        "train_step_mlp", overrides, sizes.mlp_steps, 1.10, sizes, log_dir, against_bare_lightning=True
    )


def bench_tabular_fit(sizes: Sizes, log_dir: Path) -> Comparison:
    """The default tabular run's training seconds over gradient boosting's fit seconds in the same runs
    (medians of the repeats), at a test R² no worse than boosting's by more than 0.005; then seconds per
    epoch and peak memory at each of `sizes.scaling_rows`."""
    table = tabular_fit.write_table(sizes.table_rows, log_dir / "tables")
    runs = [tabular_fit.default_run(table, log_dir) for _ in range(sizes.warmups + sizes.repeats)]
    middle = medians({key: [run[key] for run in runs[sizes.warmups :]] for key in runs[0]})
    score_gap = middle["score"] - middle["baseline_score"]
    scaling = {
        rows: tabular_fit.scaling_run(
            tabular_fit.write_table(rows, log_dir / "tables"), log_dir, sizes.scaling_epochs
        )
        for rows in sizes.scaling_rows
    }
    smallest = min(scaling)
    extra = {
        "rows": sizes.table_rows,
        "epochs": middle["epochs"],
        "test_r2": middle["score"],
        "baseline_test_r2": middle["baseline_score"],
        "r2_minus_baseline": score_gap,
        "scaling": {
            f"{rows}_rows": {
                **measured,
                # Linear growth keeps these near 1 (memory also holds Python and PyTorch themselves).
                "seconds_per_row_vs_smallest": (measured["seconds_per_epoch"] / rows)
                / (scaling[smallest]["seconds_per_epoch"] / smallest),
            }
            for rows, measured in scaling.items()
        },
    }
    return Comparison(
        "tabular_fit",
        middle["training_seconds"],
        middle["baseline_seconds"],
        "s",
        "ratio <= 15 at a test R² >= boosting's - 0.005",
        lambda template, baseline: template / baseline <= 15 and score_gap >= -0.005,
        extra=extra,
    )


def bench_startup(sizes: Sizes, log_dir: Path) -> Comparison:
    template, baseline, _ = interleaved_medians(
        lambda: startup.first_step_seconds([], log_dir),
        startup.bare_import_seconds,
        sizes.repeats,
        sizes.warmups,
    )
    answers = startup.cli_answer_seconds()
    quick = all(seconds < 1.5 for seconds in answers.values())
    return Comparison(
        "startup",
        template,
        baseline,
        "s",
        "ratio <= 1.3, and --help / --cfg job in < 1.5 s",
        lambda t, b: t / b <= 1.3 and quick,
        extra=answers,
    )


def bench_ddp_step(sizes: Sizes, log_dir: Path) -> Comparison:
    overrides = mlp_overrides(*sizes.ddp_steps, processes=ddp_step.PROCESSES)
    template, baseline, _ = interleaved_medians(
        lambda: ddp_step.template_seconds_per_step(overrides, *sizes.ddp_steps, log_dir),
        lambda: ddp_step.raw_seconds_per_step(overrides, *sizes.ddp_steps, log_dir),
        sizes.repeats,
        sizes.warmups,
    )
    return Comparison(
        "ddp_step",
        template,
        baseline,
        "s/step",
        "template <= 1.02 x baseline + 0.02 s",
        lambda t, b: t <= 1.02 * b + 0.02,
    )


def bench_dataloader(sizes: Sizes, log_dir: Path) -> Comparison:
    folder = dataloader.write_image_folder(log_dir / "images", sizes.images_per_class)
    data = compose_run_config("train", ["data=image_folder", f"data.data_dir={folder}"], log_dir).data
    # The workers normalise (as for training on the CPU), or the batches stay uint8 for the GPU to do it.
    pipeline = dataloader.image_pipeline_loader({**data, "normalise_on_device": False})
    uint8 = dataloader.image_pipeline_loader({**data, "normalise_on_device": True})
    in_memory = dataloader.in_memory_loader(pipeline)
    images_per_second = {
        "template": lambda: dataloader.images_per_second(pipeline, sizes.dataloader_epochs),
        "baseline": lambda: dataloader.images_per_second(in_memory, sizes.dataloader_epochs),
        "uint8": lambda: dataloader.images_per_second(uint8, sizes.dataloader_epochs),
    }
    # No warm-up rounds: images_per_second warms up itself.
    measured = medians(interleaved_runs(images_per_second, sizes.repeats, 0))
    extra = {
        "num_workers": data.num_workers,
        "image_size": data.image_size,
        "batch_size": data.batch_size,
        "uint8_batches_images_per_second": measured["uint8"],
    }
    return Comparison(
        "dataloader", measured["template"], measured["baseline"], "images/s", None, None, extra=extra
    )


def part_benchmarks() -> dict[str, Callable[[Sizes, Path], Comparison]]:
    """The benchmarks of the optional parts this project has: each is the `bench` function of a module
    here that belongs to its part (and is deleted with it), named after the module."""
    here = Path(__file__).parent
    modules = [path.stem for path in sorted(here.glob("*.py")) if "\ndef bench(" in path.read_text("utf-8")]
    return {name: importlib.import_module(f"{__package__}.{name}").bench for name in modules}


BENCHMARKS: dict[str, Callable[[Sizes, Path], Comparison]] = {
    "train_step_resnet18": bench_train_step_resnet18,
    "train_step_mlp": bench_train_step_mlp,
    "startup": bench_startup,
    "ddp_step": bench_ddp_step,
    "dataloader": bench_dataloader,
    "tabular_fit": bench_tabular_fit,
    **part_benchmarks(),
}


def table(comparisons: list[Comparison]) -> str:
    rows = [("benchmark", "template", "baseline", "unit", "ratio", "goal", "met")]
    for c in comparisons:
        met = {True: "yes", False: "NO", None: "-"}[c.meets_goal]
        rows.append(
            (
                c.name,
                f"{c.template:.4g}",
                f"{c.baseline:.4g}",
                c.unit,
                f"{c.ratio:.3f}",
                c.goal_text or "-",
                met,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repeat: a smoke test")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    comparisons, failed = [], []
    with tempfile.TemporaryDirectory(prefix="benchmarks-") as scratch:
        for name in args.only:
            print(f"Running {name} ...", file=sys.stderr, flush=True)
            try:
                # The runs' own reports (metrics tables, file lists) would drown the results.
                with contextlib.redirect_stdout(io.StringIO()):
                    comparison = BENCHMARKS[name](sizes, Path(scratch) / name)
            except Exception:  # noqa: BLE001 - one broken benchmark must not lose the others' results
                traceback.print_exc()
                failed.append(name)
                continue
            comparisons.append(comparison)
            print(table([comparison]).splitlines()[1], file=sys.stderr, flush=True)
    print(table(comparisons))
    results = {c.name: c.as_json() for c in comparisons}
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Written: {args.output}")
    if failed:
        print(f"Failed to run: {', '.join(failed)} (tracebacks above)", file=sys.stderr)
    return 1 if failed or any(c.meets_goal is False for c in comparisons) else 0


if __name__ == "__main__":
    sys.exit(main())
