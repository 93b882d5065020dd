"""Explain a saved checkpoint:

    python -m {{ cookiecutter.package_name }}.explain ckpt_path=...

Tables: SHAP values per original column (CSV, importance bar chart, beeswarm summary) and permutation
importance as a cross-check. Images: Captum Integrated Gradients and saliency heat maps over test images,
right and wrong. Written into the run directory's `explanations/`; training does the same at its end
unless `explain.after_training=false`. The data and model come from the checkpoint's run, as for eval.
"""

import logging
from pathlib import Path

from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.cli import command

log = logging.getLogger(__name__)


def explain(cfg: DictConfig) -> dict[str, Path]:
    """Explanations of the checkpoint `cfg.ckpt_path` on `cfg.data`; returns {label: file written}.

    `run_record.json` in the run directory records the run, however it ends."""
    # Imported here so that `--help` and `--cfg job` answer without loading PyTorch.
    from {{ cookiecutter.package_name }}.commands import trained_run
    from {{ cookiecutter.package_name }}.interpretability.explain_run import explain_model
    from {{ cookiecutter.package_name }}.reporting.console import print_summary

    with trained_run(cfg, "explain") as (_, trained):
        trained.datamodule.setup()
        output_dir = Path(cfg.paths.output_dir)
        files = explain_model(
            cfg.explain, trained.model, trained.datamodule, output_dir, seed=cfg.get("seed") or 0
        )
        print_summary("Explanations", {}, {"Checkpoint": trained.checkpoint, **files})
    return files


@command("explain")
def main(cfg: DictConfig) -> None:
    explain(cfg)


if __name__ == "__main__":
    main()
