"""Explain a saved checkpoint:

    python -m {{ cookiecutter.package_name }}.explain ckpt_path=... [experiment=...]

Tables: SHAP values per original column (CSV, importance bar chart, beeswarm summary) and permutation
importance as a cross-check. Images: Captum Integrated Gradients and saliency heat maps over test images,
right and wrong. Written into the run directory's `explanations/`; training does the same at its end
unless `explain.after_training=false`. Pass the same data options as in training.
"""

import logging
from pathlib import Path

import hydra
from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.config import CONFIG_DIR, register_resolvers

register_resolvers()
log = logging.getLogger(__name__)


def explain(cfg: DictConfig) -> dict[str, Path]:
    """Explanations of the checkpoint `cfg.ckpt_path` on `cfg.data`; returns {label: file written}.

    `run_record.json` in the run directory records the run, however it ends."""
    from {{ cookiecutter.package_name }}.reporting.run_record import recorded_run

    with recorded_run(cfg) as record:
        return explain_checkpoint(cfg, record)


def explain_checkpoint(cfg: DictConfig, record) -> dict[str, Path]:
    from hydra.utils import get_class, instantiate

    from {{ cookiecutter.package_name }}.interpretability.explain_run import explain_model
    from {{ cookiecutter.package_name }}.utils.checkpoints import resolve_checkpoint
    from {{ cookiecutter.package_name }}.utils.run_artifacts import print_summary

    if not cfg.get("ckpt_path"):
        raise ValueError("explain needs a checkpoint: pass ckpt_path=/path/to/file.ckpt or ckpt_path=last.")
    checkpoint = resolve_checkpoint(cfg.ckpt_path, cfg.paths.log_dir)
    model = get_class(cfg.model._target_).load_from_checkpoint(
        checkpoint, map_location="cpu", weights_only=True
    )
    datamodule = instantiate(cfg.data, **model.data_arguments())
    datamodule.setup()
    files = explain_model(
        cfg.explain, model, datamodule, Path(cfg.paths.output_dir), seed=cfg.get("seed") or 0
    )
    print_summary("Explanations", {}, {"Checkpoint": checkpoint, **files})
    return files


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="explain")
def main(cfg: DictConfig) -> None:
    explain(cfg)


if __name__ == "__main__":
    main()
