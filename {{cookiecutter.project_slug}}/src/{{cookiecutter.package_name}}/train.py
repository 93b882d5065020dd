"""Train a model, then test its best checkpoint:

    python -m {{ cookiecutter.package_name }}.train [overrides]

The recipe: seed everything, build the data, the model, the callbacks and loggers, fit, test the best
checkpoint, compare with classical baselines (tabular data), write `metrics.json` into the run directory.
Every choice lives in `configs/train.yaml`.
"""

import logging
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from {{ cookiecutter.package_name }}.config import CONFIG_DIR, register_resolvers
from {{ cookiecutter.package_name }}.config_checks import check_config

register_resolvers()
log = logging.getLogger(__name__)
INTERRUPTED_EXIT_CODE = 143


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit and test as `cfg` says; returns the final metrics (validation, best validation and test).

    `run_record.json` in the run directory records the run, however it ends. A configuration with
    problems is refused before anything runs (config_checks.py)."""
    from {{ cookiecutter.package_name }}.reporting.run_record import recorded_run
    from {{ cookiecutter.package_name }}.utils.lightning_noise import quiet_lightning

    check_config(cfg)
    with recorded_run(cfg) as record, quiet_lightning():
        metrics = fit_and_test(cfg, record)
        record.update(metrics=metrics)
    return metrics


def fit_and_test(cfg: DictConfig, record) -> dict[str, float]:
    # Imported here so that `--help` and `--cfg job` answer without loading PyTorch.
    import lightning as L  # noqa: N812
    from hydra.utils import instantiate
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from {{ cookiecutter.package_name }}.evaluation.test_report import check_report_settings
    from {{ cookiecutter.package_name }}.reporting.data_fingerprint import data_fingerprint
    from {{ cookiecutter.package_name }}.utils.accelerators import (
        cheap_gpu_checks_without_gpus,
        require_accelerator,
    )
    from {{ cookiecutter.package_name }}.utils.checkpoints import (
        resolve_checkpoint,
        restarted_checkpoint,
    )
    from {{ cookiecutter.package_name }}.utils.distributed import per_device_batch_size
    from {{ cookiecutter.package_name }}.utils.instantiate import (
        instantiate_callbacks,
        instantiate_loggers,
    )
    from {{ cookiecutter.package_name }}.utils.output_checks import check_run_outputs
    from {{ cookiecutter.package_name }}.utils.run_artifacts import to_floats

    output_dir = Path(cfg.paths.output_dir)
    require_accelerator(cfg.trainer.accelerator)
    cheap_gpu_checks_without_gpus()
    check_report_settings(cfg)
    resume_from = resolve_checkpoint(cfg.get("ckpt_path"), cfg.paths.runs_dir) or restarted_checkpoint(
        output_dir
    )
    if cfg.get("seed") is not None:
        L.seed_everything(cfg.seed, workers=True)

    if resume_from:
        log.info("Resuming from %s", resume_from)
        continue_checkpoints_in(cfg, resume_from.parent)
        record.update(resumed_from=str(resume_from))

    datamodule = instantiate(cfg.data)
    model = instantiate(cfg.model, **datamodule.model_arguments())
    check_monitor(cfg.get("monitor"), model)
    if record.enabled:
        record.update(data=data_fingerprint(datamodule))
    callbacks = instantiate_callbacks(cfg.get("callbacks"))
    if cfg.get("optuna_trial") and cfg.optuna_trial.trial_id is not None:
        from {{ cookiecutter.package_name }}.callbacks.optuna_pruning import OptunaPruning

        callbacks.append(OptunaPruning(**cfg.optuna_trial, monitor=cfg.monitor.metric))
    trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=instantiate_loggers(cfg.get("logger")))
    check_run_outputs((Path(c.dirpath) for c in callbacks if getattr(c, "dirpath", None)), model)
    if cfg.get("global_batch_size"):
        datamodule.batch_size = per_device_batch_size(cfg.global_batch_size, trainer.world_size)
        log.info("Global batch %d: %d per process.", cfg.global_batch_size, datamodule.batch_size)
    hyperparameters = record.scrubber.data(OmegaConf.to_container(cfg, resolve=True))
    for logger in trainer.loggers:
        logger.log_hyperparams(hyperparameters)

    if cfg.get("compile"):
        # torch.compile of the forward pass, in place: faster steps after a one-off compilation (seconds to
        # minutes); the training step's logging stays eager, and the weights' names, so checkpoints, stay.
        model.compile()
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=resume_from, weights_only=True)
    except SIGTERMException:
        log.error(
            "Stopped by SIGTERM at epoch %d, step %d; last.ckpt holds that state (resume: ckpt_path=last).",
            trainer.current_epoch,
            trainer.global_step,
        )
        # 128 + SIGTERM: what shells and schedulers read as "terminated", never as success.
        raise SystemExit(INTERRUPTED_EXIT_CODE) from None
    metrics = to_floats(trainer.callback_metrics)
    record.update(training={"epochs": trainer.current_epoch, "steps": trainer.global_step})
    checkpoint = trainer.checkpoint_callback
    if checkpoint is not None and checkpoint.best_model_score is not None:
        metrics[f"{checkpoint.monitor}_best"] = float(checkpoint.best_model_score)
    best_path = checkpoint.best_model_path if checkpoint is not None else ""
    if not best_path:
        log.warning("No best checkpoint was saved (e.g. fast_dev_run): testing the current weights.")

    trainer.test(model, datamodule=datamodule, ckpt_path=best_path or None, weights_only=True)
    test_metrics = {
        name: value for name, value in to_floats(trainer.callback_metrics).items() if name.startswith("test/")
    }
    metrics.update(test_metrics)
    if trainer.is_global_zero:
        # Lightning hands the model back on the CPU: predict and explain on the training device.
        model.to(trainer.strategy.root_device)
        baselines = compare_baselines(datamodule, trainer) if cfg.get("compare_baselines") else {}
        write_run_artifacts(
            cfg,
            model,
            datamodule,
            test_metrics,
            metrics,
            record,
            best_path,
            baselines,
            trainer.num_test_batches[0],
        )
    return metrics


def compare_baselines(datamodule, trainer) -> dict[str, dict[str, float]]:
    """Classical models on the same split (tabular data only), logged next to the network's metrics."""
    from {{ cookiecutter.package_name }}.data.tabular import TabularDataModule
    from {{ cookiecutter.package_name }}.models.baselines import fit_baselines

    if not isinstance(datamodule, TabularDataModule):
        return {}
    baselines = fit_baselines(datamodule)
    for name, scores in baselines.items():
        log.info(
            "Baseline %s: %s", name, ", ".join(f"{metric}={value:.4f}" for metric, value in scores.items())
        )
    flat = {
        f"baseline/{name}/{metric}": value
        for name, scores in baselines.items()
        for metric, value in scores.items()
    }
    for logger in trainer.loggers:
        logger.log_metrics(flat)
    return baselines


def check_monitor(monitor: DictConfig | None, model) -> None:
    """Refuse, before training, to monitor a metric the model never logs (e.g. accuracy of a regression)."""
    if not monitor or not monitor.get("metric"):
        return
    logged = sorted({"val/loss", *model.val_metrics.keys()})
    if monitor.metric not in {*logged, "epoch", "step"}:
        raise ValueError(
            f"monitor.metric={monitor.metric} is never logged by {type(model).__name__} here: choose one of "
            f"{logged}, e.g. monitor.metric=val/loss monitor.mode=min (the tabular experiments do so)."
        )


def continue_checkpoints_in(cfg: DictConfig, checkpoint_dir: Path) -> None:
    """Keep saving into the resumed run's checkpoint folder (not into a folder of downloaded files).

    ModelCheckpoint restores its best score and top-k list only when its folder is unchanged; in a new
    folder a resumed run could pick a worse "best" checkpoint than the one saved before the interruption.
    """
    if checkpoint_dir.name != "checkpoints":
        return
    for name in ("model_checkpoint", "last_checkpoint", "preemption_checkpoint", "exception_checkpoint"):
        if cfg.get("callbacks") and cfg.callbacks.get(name):
            cfg.callbacks[name].dirpath = str(checkpoint_dir)


def write_run_artifacts(
    cfg: DictConfig,
    model,
    datamodule,
    test_metrics: dict,
    metrics: dict,
    record,
    best_path: str,
    baselines: dict,
    tested_batches: float,
) -> None:
    import torch

    from {{ cookiecutter.package_name }}.evaluation.test_report import report_test_split
    from {{ cookiecutter.package_name }}.reporting.data_files import write_data_files
    from {{ cookiecutter.package_name }}.utils.run_artifacts import report_test_results

    output_dir = Path(cfg.paths.output_dir)
    artifacts = {"Best checkpoint": best_path} if best_path else {}
    artifacts.update(write_data_files(datamodule, output_dir))
    if cfg.get("backbone_export_path"):
        # A plain ResNet18 state dict: exactly what `model.weights=<file>` loads in a later run.
        export_path = Path(cfg.backbone_export_path)
        export_path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.backbone.state_dict(), export_path)
        artifacts["Backbone weights"] = export_path
    files, intervals = report_test_split(
        cfg, model, datamodule, test_metrics, record, f"{__package__}.train", tested_batches, baselines
    )
    if cfg.explain.after_training:
        # In float32 whatever the training precision: the attribution methods take float32 inputs, and
        # bf16 (trainer.precision=bf16-true) is too coarse for their small steps.
        files.update(explain_after_training(cfg, model.float(), datamodule, output_dir))
    report_test_results(
        model,
        test_metrics,
        output_dir,
        {**artifacts, **files},
        baselines=baselines,
        checkpoint=best_path or None,
        all_metrics=metrics,
        confidence_intervals=intervals,
        confidence_level=cfg.report.confidence_level,
    )


def explain_after_training(cfg: DictConfig, model, datamodule, output_dir: Path) -> dict[str, Path]:
    """Explanations are a bonus: if they fail, the run keeps its metrics, card and report."""
    from {{ cookiecutter.package_name }}.interpretability.explain_run import explain_model

    try:
        return explain_model(cfg.explain, model, datamodule, output_dir, seed=cfg.get("seed") or 0)
    except Exception:
        log.exception(
            "The explanations failed; the metrics, model card and report are kept. Retry with "
            "python -m {{ cookiecutter.package_name }}.explain ckpt_path=%s",
            output_dir,
        )
        return {}


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")
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
