"""`run_record.json`: what it takes to reproduce a run, written when it starts and completed when it ends.

It holds the resolved config and the command-line overrides, the seed, the code's git commit with a patch
of uncommitted changes, every package version, Python/PyTorch/CUDA, the hardware, start and end times,
a fingerprint of the input data, and how the run ended (`completed`, `interrupted`, `failed` with its
traceback, or `pruned`: a sweep trial stopped early). Secrets are masked before anything is written
(see `secrets.py`).
"""

import json
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from ..config import PROJECT_ROOT, sweep_directory
from ..run_directory import RUN_RECORD
from .environment import git_state, hardware, software
from .secrets import SecretScrubber


def command_line_overrides() -> list[str]:
    """The overrides this run was started with (Hydra keeps them), or none outside a Hydra run."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    return list(HydraConfig.get().overrides.task)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunRecord:
    """Create at the start of a run, `write()` once the process knows it is the one that writes files
    (rank zero), add the data's fingerprint, and `finish(...)` however the run ends."""

    def __init__(self, cfg: DictConfig, output_dir: str | Path) -> None:
        self.path = Path(output_dir) / RUN_RECORD
        resolved = OmegaConf.to_container(cfg, resolve=True)
        overrides = command_line_overrides()
        self.scrubber = SecretScrubber.for_config([resolved, overrides])
        self._started = time.monotonic()
        self.content: dict[str, Any] = {
            "status": "running",
            "task": cfg.get("task_name"),
            "started_at": now(),
            "ended_at": None,
            "duration_s": None,
            "seed": cfg.get("seed"),
            "overrides": overrides,
            "config": resolved,
            "git": git_state(PROJECT_ROOT),
            "software": software(),
            "hardware": hardware(),
            "data": None,
        }
        self.enabled = False

    def write(self) -> Path:
        """Start writing (and keep writing on every update) to `run_record.json`."""
        self.enabled = True
        clean = self.scrubber.data(self.content)
        self.path.write_text(json.dumps(clean, indent=2, default=str) + "\n", encoding="utf-8")
        return self.path

    def update(self, **fields: Any) -> None:
        self.content.update(fields)
        if self.enabled:
            self.write()

    def log_hyperparameters(self, cfg: DictConfig, loggers: list[Any]) -> None:
        """`cfg`, resolved and with its secrets masked, as the hyperparameters of every experiment logger."""
        hyperparameters = self.scrubber.data(OmegaConf.to_container(cfg, resolve=True))
        for logger in loggers:
            logger.log_hyperparams(hyperparameters)

    def finish(self, status: str, error: BaseException | None = None, **fields: Any) -> None:
        ended = {
            "status": status,
            "ended_at": now(),
            "duration_s": round(time.monotonic() - self._started, 3),
        }
        if error is not None:
            ended["error"] = "".join(traceback.format_exception(error)).rstrip()
        self.update(**ended, **fields)


@contextmanager
def recorded_run(cfg: DictConfig) -> Iterator[RunRecord]:
    """Record the run in `with recorded_run(cfg) as record:`; its end status follows how the block ends.

    Only the process of global rank zero writes (in multi-GPU runs every process runs this code). The
    configs Hydra saved into `<run>/.hydra/` are cleaned of secrets before anything else happens.
    """
    from lightning.pytorch.utilities.rank_zero import rank_zero_only

    record = RunRecord(cfg, cfg.paths.output_dir)
    if rank_zero_only.rank == 0:
        record.scrubber.scrub_hydra_outputs(Path(cfg.paths.output_dir), sweep_directory())
        record.write()
    try:
        yield record
    except (SystemExit, KeyboardInterrupt) as stop:
        record.finish("interrupted", exit_code=getattr(stop, "code", None))
        raise
    except BaseException as error:
        from optuna import TrialPruned

        # A pruned sweep trial stopped as designed: not a failure.
        record.finish("pruned" if isinstance(error, TrialPruned) else "failed", error=error)
        raise
    record.finish("completed")
