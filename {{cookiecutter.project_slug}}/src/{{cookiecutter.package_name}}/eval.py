"""Evaluate a saved checkpoint on the test split:

    python -m {{ cookiecutter.package_name }}.eval ckpt_path=...

Writes `metrics.json` (with confidence intervals), `confusion_matrix.csv` for classes,
`test_predictions.csv`, `MODEL_CARD.md` and `report.html` into the evaluation's run directory. Pass
the same options as in training (`experiment=...`, `data=...`); `ckpt_path=last` takes the newest training
run's last checkpoint. Tabular checkpoints carry their fitted preprocessing, which is applied as saved.
"""

import logging
from pathlib import Path

import hydra
from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.config import CONFIG_DIR, register_resolvers
from {{ cookiecutter.package_name }}.config_checks import check_config

register_resolvers()
log = logging.getLogger(__name__)


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Test the checkpoint `cfg.ckpt_path` on `cfg.data`; returns the test metrics.

    `run_record.json` in the evaluation's run directory records the run, however it ends."""
    from {{ cookiecutter.package_name }}.reporting.run_record import recorded_run
    from {{ cookiecutter.package_name }}.utils.lightning_noise import quiet_lightning

    check_config(cfg)
    with recorded_run(cfg) as record, quiet_lightning():
        metrics = evaluate_checkpoint(cfg, record)
        record.update(metrics=metrics)
    return metrics


def evaluate_checkpoint(cfg: DictConfig, record) -> dict[str, float]:
    from hydra.utils import get_class, instantiate

    from {{ cookiecutter.package_name }}.evaluation.test_report import (
        check_report_settings,
        report_test_split,
    )
    from {{ cookiecutter.package_name }}.reporting.data_files import write_data_files
    from {{ cookiecutter.package_name }}.reporting.data_fingerprint import (
        data_fingerprint,
        file_fingerprint,
    )
    from {{ cookiecutter.package_name }}.utils.accelerators import require_accelerator
    from {{ cookiecutter.package_name }}.utils.checkpoints import resolve_checkpoint
    from {{ cookiecutter.package_name }}.utils.instantiate import instantiate_loggers
    from {{ cookiecutter.package_name }}.utils.run_artifacts import report_test_results, to_floats

    if not cfg.get("ckpt_path"):
        raise ValueError("eval needs a checkpoint: pass ckpt_path=/path/to/file.ckpt or ckpt_path=last.")
    require_accelerator(cfg.trainer.accelerator)
    check_report_settings(cfg)
    checkpoint = resolve_checkpoint(cfg.ckpt_path, cfg.paths.log_dir)
    output_dir = Path(cfg.paths.output_dir)
    if record.enabled:
        record.update(checkpoint=file_fingerprint(checkpoint))

    model = get_class(cfg.model._target_).load_from_checkpoint(
        checkpoint, map_location="cpu", weights_only=True
    )
    datamodule = instantiate(cfg.data, **model.data_arguments())
    if record.enabled:
        record.update(data=data_fingerprint(datamodule))
    data_classes = datamodule.model_arguments().get("class_names")
    if model.hparams.class_names != data_classes:
        raise ValueError(
            f"{checkpoint} was trained on classes {model.hparams.class_names}, but the data has "
            f"{data_classes}: pass the same data options as in training."
        )
    trainer = instantiate(cfg.trainer, logger=instantiate_loggers(cfg.get("logger")))
    trainer.test(model, datamodule=datamodule)
    metrics = to_floats(trainer.callback_metrics)
    if trainer.is_global_zero:
        model.to(trainer.strategy.root_device)  # back from the CPU, where Lightning leaves it
        record.update(training=training_progress(checkpoint))
        artifacts = {"Checkpoint": checkpoint, **write_data_files(datamodule, output_dir)}
        files, intervals = report_test_split(
            cfg, model, datamodule, metrics, record, f"{__package__}.eval", trainer.num_test_batches[0]
        )
        report_test_results(
            model,
            metrics,
            output_dir,
            {**artifacts, **files},
            checkpoint=str(checkpoint),
            confidence_intervals=intervals,
            confidence_level=cfg.report.confidence_level,
        )
    return metrics


def training_progress(checkpoint: Path) -> dict[str, int]:
    """How long the checkpoint's model trained (epochs and steps), for the model card."""
    import torch

    # mmap: reads the two counters without loading every tensor into memory.
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True, mmap=True)
    return {"epochs": saved.get("epoch", 0) + 1, "steps": saved.get("global_step", 0)}


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="eval")
def main(cfg: DictConfig) -> None:
    evaluate(cfg)


if __name__ == "__main__":
    main()
