"""Train a model, then test its best checkpoint:

    python -m {{ cookiecutter.package_name }}.train [overrides]

The recipe: seed everything, build the data, the model, the callbacks and loggers, fit, test the best
checkpoint, compare with classical baselines (tabular data), and write the tested model's report into
the run directory (reporting/test_report.py). Every choice lives in `configs/train.yaml`.
"""

import logging
from pathlib import Path

from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.cli import command

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit and test as `cfg` says; returns the final metrics (validation, best validation and test).

    `run_record.json` in the run directory records the run, however it ends. A configuration with
    problems is refused before anything runs (config_checks.py)."""
    # Imported here so that `--help` and `--cfg job` answer without loading PyTorch.
    import lightning as L  # noqa: N812
    from hydra.utils import instantiate

    from {{ cookiecutter.package_name }}.callbacks.preemption_checkpoint import fit_unless_stopped
    from {{ cookiecutter.package_name }}.commands import started_run
    from {{ cookiecutter.package_name }}.config_checks import check_monitor
    from {{ cookiecutter.package_name }}.models.backbones import save_backbone
    from {{ cookiecutter.package_name }}.models.baselines import compare_baselines
    from {{ cookiecutter.package_name }}.reporting.data_fingerprint import data_fingerprint
    from {{ cookiecutter.package_name }}.reporting.test_report import (
        TestedModel,
        to_floats,
        write_test_report,
    )
    from {{ cookiecutter.package_name }}.utils.accelerators import cheap_gpu_checks_without_gpus
    from {{ cookiecutter.package_name }}.utils.checkpoints import (
        best_checkpoint,
        best_score,
        resume_checkpoint,
    )
    from {{ cookiecutter.package_name }}.utils.distributed import per_device_batch_size
    from {{ cookiecutter.package_name }}.utils.instantiate import (
        instantiate_callbacks,
        instantiate_loggers,
    )
    from {{ cookiecutter.package_name }}.utils.output_checks import check_run_outputs

    with started_run(cfg) as record:
        cheap_gpu_checks_without_gpus()
        resume_from = resume_checkpoint(cfg)
        if resume_from:
            record.update(resumed_from=str(resume_from))
        if cfg.get("seed") is not None:
            L.seed_everything(cfg.seed, workers=True)

        datamodule = instantiate(cfg.data)
        model = instantiate(cfg.model, **datamodule.model_arguments())
        check_monitor(cfg.get("monitor"), model)
        if record.enabled:
            record.update(data=data_fingerprint(datamodule))
        callbacks = instantiate_callbacks(cfg.get("callbacks")) + trial_pruning(cfg)
        trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=instantiate_loggers(cfg.get("logger")))
        check_run_outputs([Path(c.dirpath) for c in callbacks if getattr(c, "dirpath", None)], model)
        if cfg.get("global_batch_size"):
            datamodule.batch_size = per_device_batch_size(cfg.global_batch_size, trainer.world_size)
            log.info("Global batch %d: %d per process.", cfg.global_batch_size, datamodule.batch_size)
        record.log_hyperparameters(cfg, trainer.loggers)
        if cfg.get("compile"):
            # torch.compile of the forward pass, in place: faster steps after a one-off compilation; the
            # training step's logging stays eager, and the weights' names, so checkpoints, stay.
            model.compile()

        # The training phase's seconds (validation included): what a baseline's fit seconds are compared with.
        seconds = fit_unless_stopped(trainer, model, datamodule, resume_from)
        metrics = {**to_floats(trainer.callback_metrics), **best_score(trainer)}
        training = {"epochs": trainer.current_epoch, "steps": trainer.global_step, "seconds": seconds}
        record.update(training={**training, "batch_size": datamodule.batch_size})  # per process, as resolved
        best_path = best_checkpoint(trainer)

        trainer.test(model, datamodule=datamodule, ckpt_path=best_path, weights_only=True)
        test_metrics = {k: v for k, v in to_floats(trainer.callback_metrics).items() if k.startswith("test/")}
        metrics.update(test_metrics)
        if trainer.is_global_zero:
            # Lightning hands the model back on the CPU: predict and explain on the training device.
            model.to(trainer.strategy.root_device)
            files = {"Best checkpoint": best_path} if best_path else {}
            if cfg.get("backbone_export_path"):
                files["Backbone weights"] = save_backbone(model.backbone, cfg.backbone_export_path)
            baselines = compare_baselines(datamodule, trainer.loggers) if cfg.get("compare_baselines") else {}
            tested = TestedModel(model, datamodule, test_metrics, best_path, trainer.num_test_batches[0])
            tested.all_metrics, tested.baselines, tested.training_seconds = metrics, baselines, seconds
            write_test_report(cfg, tested, record, f"{__package__}.train", files, cfg.explain.after_training)
        record.update(metrics=metrics)
    return metrics


def trial_pruning(cfg: DictConfig) -> list:
    """In an Optuna sweep's trial, the callback that stops it early when it trails the others."""
    if not cfg.get("optuna_trial") or cfg.optuna_trial.trial_id is None:
        return []
    from {{ cookiecutter.package_name }}.callbacks.optuna_pruning import OptunaPruning

    return [OptunaPruning(**cfg.optuna_trial, monitor=cfg.monitor.metric)]


@command("train")
def main(cfg: DictConfig) -> float | None:
    metrics = train(cfg)
    # Hydra sweepers (e.g. Optuna) optimise the value returned here.
    return objective(metrics, cfg.get("optimized_metric"))


def objective(metrics: dict[str, float], name: str | None) -> float | None:
    """The metric a sweep optimises. Without checkpointing (fast_dev_run) there is no `<metric>_best`,
    so the metric's last value stands in for it."""
    if not name:
        return None
    if name not in metrics and name.endswith("_best") and name.removesuffix("_best") in metrics:
        log.warning("%s is missing (no checkpointing, e.g. fast_dev_run): returning its last value.", name)
        name = name.removesuffix("_best")
    return metrics.get(name)


if __name__ == "__main__":
    main()
