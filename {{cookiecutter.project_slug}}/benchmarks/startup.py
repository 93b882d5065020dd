"""`startup`: seconds from launching `python -m <package>.train` to its first training step, against the
bare `import torch, lightning` that any Lightning script pays first. Also times `--help` and
`--cfg job`, which answer without importing PyTorch or Lightning."""

import json
import subprocess
import sys
import time
from pathlib import Path
from uuid import uuid4

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT

TRAIN = [sys.executable, "-m", "{{ cookiecutter.package_name }}.train"]


def launch_seconds(command: list[str]) -> float:
    """Wall-clock seconds for `command` to run to its end."""
    started = time.time()
    subprocess.run(command, cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=600)
    return time.time() - started


def first_step_seconds(overrides: list[str], log_dir: Path) -> float:
    """Seconds from launching a training run to the start of its first step (the run then exits)."""
    timer_file = log_dir / f"first-step-{uuid4().hex}.json"
    timer = [
        "+callbacks.step_timer._target_=benchmarks.step_timer.StepTimer",
        f"+callbacks.step_timer.path={timer_file}",
        "+callbacks.step_timer.exit_at_first_step=true",
    ]
    started = time.time()
    subprocess.run(
        [*TRAIN, *overrides, *timer, "trainer=cpu", f"paths.log_dir={log_dir}"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return json.loads(timer_file.read_text())["first_step"] - started


def bare_import_seconds() -> float:
    return launch_seconds([sys.executable, "-c", "import torch, lightning"])


def cli_answer_seconds() -> dict[str, float]:
    """`--help` and `--cfg job`: answered from the configs alone."""
    return {
        "help_seconds": launch_seconds([*TRAIN, "--help"]),
        "cfg_job_seconds": launch_seconds([*TRAIN, "--cfg", "job"]),
    }
