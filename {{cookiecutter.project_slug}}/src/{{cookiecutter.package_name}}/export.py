"""Export a checkpoint as a model bundle:

    python -m {{ cookiecutter.package_name }}.export ckpt_path=... output_dir=...

The bundle (see `deployment/bundle.py`) holds safetensors weights, an ONNX graph with a dynamic batch
axis, and the preprocessing, class names and input schema as JSON. Before the bundle is kept, ONNX
Runtime's predictions are compared with PyTorch's on held-out test examples: above `export.tolerance`
the export fails and leaves nothing behind. The data and model come from the checkpoint's run, as for
eval.
"""

import logging
import shutil
import tempfile
from pathlib import Path

from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.cli import command
from {{ cookiecutter.package_name }}.errors import ExportError, OutputError

log = logging.getLogger(__name__)


def export(cfg: DictConfig) -> Path:
    """Write the bundle of `cfg.ckpt_path` into `cfg.output_dir`; returns that directory.

    `run_record.json` in the export's run directory records the run, however it ends."""
    # Imported here so that `--help` and `--cfg job` answer without loading PyTorch.
    import torch

    from {{ cookiecutter.package_name }}.commands import trained_run
    from {{ cookiecutter.package_name }}.deployment import bundle
    from {{ cookiecutter.package_name }}.deployment.config_schemas import ExportSchema
    from {{ cookiecutter.package_name }}.deployment.decision import write_decision_policy
    from {{ cookiecutter.package_name }}.deployment.input_schema import input_schema
    from {{ cookiecutter.package_name }}.deployment.onnx_graph import export_onnx, max_difference
    from {{ cookiecutter.package_name }}.run_directory import METRICS, MODEL_CARD, write_json

    destination = Path(cfg.output_dir)
    if destination.exists() and any(destination.iterdir()):
        raise OutputError(f"output_dir={destination} is not empty: choose a new folder or remove it.")
    with trained_run(cfg, "export", ExportSchema) as (record, trained):
        model, datamodule, checkpoint = trained.model.eval(), trained.datamodule, trained.checkpoint
        datamodule.setup()
        held_out = torch.cat([inputs for inputs, _ in datamodule.batches("test")])[
            : cfg.export.parity_examples
        ]

        # Built in a temporary folder and moved into place only once it passes the check.
        parent = destination.parent if destination.parent.exists() else None
        with tempfile.TemporaryDirectory(dir=parent) as work:
            work = Path(work)
            bundle.write_weights_and_config(model, input_schema(datamodule), work)
            export_onnx(model, held_out[:2], work / bundle.ONNX_FILE)
            difference = max_difference(work / bundle.ONNX_FILE, model, held_out)
            parity = {"parity_examples": len(held_out), "max_abs_difference": difference}
            write_json(
                {"checkpoint": str(checkpoint), **parity, "tolerance": cfg.export.tolerance},
                work / bundle.REPORT_FILE,
            )
            if difference > cfg.export.tolerance:
                raise ExportError(
                    f"ONNX Runtime's predictions differ from PyTorch's by up to {difference:.3g} on "
                    f"{len(held_out)} test examples, above export.tolerance={cfg.export.tolerance}: the "
                    "graph is not trustworthy; nothing was written. Report the model's layers to the ONNX "
                    "exporter, or raise the tolerance if the difference is acceptable for your use."
                )
            run_dir = checkpoint.parent.parent  # the training run's directory, above checkpoints/
            if (run_dir / MODEL_CARD).is_file():
                shutil.copyfile(run_dir / MODEL_CARD, work / MODEL_CARD)
            bundle.copy_test_metrics(run_dir / METRICS, checkpoint, work)
            policy = write_decision_policy(
                cfg.decision, model, datamodule, work / bundle.DECISION_FILE, work / bundle.COST_PLOT_FILE
            )
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(destination, ignore_errors=True)  # an empty folder the user made
            shutil.copytree(work, destination)
        log.info("ONNX and PyTorch agree to %.2g on %d test examples.", difference, len(held_out))
        if policy is not None:
            log.info(
                "Decision threshold P(%s) >= %.3f: expected cost %.4g per example on validation "
                "(%.4g at 0.5).",
                policy.positive_class,
                policy.threshold,
                policy.expected_cost,
                policy.expected_cost_at_half,
            )
        record.update(bundle=str(destination), max_abs_difference=difference)
    print(f"Model bundle: {destination} (ONNX vs PyTorch max difference {difference:.2g})")
    return destination


@command("export")
def main(cfg: DictConfig) -> None:
    export(cfg)


if __name__ == "__main__":
    main()
