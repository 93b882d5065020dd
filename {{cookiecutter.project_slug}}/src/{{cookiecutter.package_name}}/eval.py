"""Evaluate a saved checkpoint on the test split:

    python -m {{ cookiecutter.package_name }}.eval ckpt_path=...

Writes `metrics.json` (with confidence intervals), `confusion_matrix.csv` for classes,
`test_predictions.csv`, `MODEL_CARD.md` and `report.html` into the evaluation's run directory, as training
does (reporting/test_report.py). The checkpoint is all it needs: `best` (the newest training run's tested
checkpoint), `last`, a run directory (the checkpoint it tested) or a .ckpt file. The data and model come
from the checkpoint's run (reporting/run_configuration.py), and options given here still win:
`data.path=other.csv` evaluates the same model on another file. Tabular checkpoints carry their fitted
preprocessing, which is applied as saved.
"""

import logging
from pathlib import Path

from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.cli import command

log = logging.getLogger(__name__)


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Test the checkpoint `cfg.ckpt_path` on `cfg.data`; returns the test metrics.

    `run_record.json` in the evaluation's run directory records the run, however it ends."""
    # Imported here so that `--help` and `--cfg job` answer without loading PyTorch.
    from hydra.utils import instantiate

    from {{ cookiecutter.package_name }}.commands import trained_run
    from {{ cookiecutter.package_name }}.reporting.test_report import (
        TestedModel,
        to_floats,
        write_test_report,
    )
    from {{ cookiecutter.package_name }}.utils.instantiate import instantiate_loggers

    with trained_run(cfg, "eval") as (record, trained):
        trainer = instantiate(cfg.trainer, logger=instantiate_loggers(cfg.get("logger")))
        trainer.test(trained.model, datamodule=trained.datamodule)
        metrics = to_floats(trainer.callback_metrics)
        if trainer.is_global_zero:
            trained.model.to(trainer.strategy.root_device)  # back from the CPU, where Lightning leaves it
            record.update(training=training_progress(trained.checkpoint))
            tested = TestedModel(
                trained.model, trained.datamodule, metrics, trained.checkpoint, trainer.num_test_batches[0]
            )
            files = {"Checkpoint": trained.checkpoint}
            write_test_report(cfg, tested, record, f"{__package__}.eval", files, explain=False)
        record.update(metrics=metrics)
    return metrics


def training_progress(checkpoint: Path) -> dict[str, int]:
    """How long the checkpoint's model trained (epochs and steps), for the model card."""
    import torch

    # mmap: reads the two counters without loading every tensor into memory.
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True, mmap=True)
    return {"epochs": saved.get("epoch", 0) + 1, "steps": saved.get("global_step", 0)}


@command("eval")
def main(cfg: DictConfig) -> None:
    evaluate(cfg)


if __name__ == "__main__":
    main()
