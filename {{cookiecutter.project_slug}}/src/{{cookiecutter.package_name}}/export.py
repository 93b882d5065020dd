"""Export a checkpoint as a model bundle:

    python -m {{ cookiecutter.package_name }}.export ckpt_path=... output_dir=...

The bundle (see `deployment/bundle.py`) holds safetensors weights, an ONNX graph with a dynamic batch
axis, and the preprocessing, class names and input schema as JSON. Before the bundle is kept, ONNX
Runtime's predictions are compared with PyTorch's on held-out test examples: above `export.tolerance`
the export fails and leaves nothing behind. Pass the same data options as in training.
"""

import logging
import shutil
import tempfile
from pathlib import Path

import hydra
from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.config import CONFIG_DIR, register_resolvers

register_resolvers()
log = logging.getLogger(__name__)


def export(cfg: DictConfig) -> Path:
    """Write the bundle of `cfg.ckpt_path` into `cfg.output_dir`; returns that directory.

    `run_record.json` in the export's run directory records the run, however it ends."""
    from {{ cookiecutter.package_name }}.reporting.run_record import recorded_run

    with recorded_run(cfg) as record:
        return export_checkpoint(cfg, record)


def export_checkpoint(cfg: DictConfig, record) -> Path:
    import torch
    from hydra.utils import get_class, instantiate

    from {{ cookiecutter.package_name }}.data.fingerprint import file_fingerprint
    from {{ cookiecutter.package_name }}.deployment.bundle import (
        CARD_FILE,
        ONNX_FILE,
        REPORT_FILE,
        write_json,
        write_weights_and_config,
    )
    from {{ cookiecutter.package_name }}.deployment.onnx_graph import export_onnx, max_difference
    from {{ cookiecutter.package_name }}.reporting.model_card import MODEL_CARD_FILE
    from {{ cookiecutter.package_name }}.utils.checkpoints import resolve_checkpoint

    if not cfg.get("ckpt_path"):
        raise ValueError("export needs a checkpoint: pass ckpt_path=/path/to/file.ckpt or ckpt_path=last.")
    checkpoint = resolve_checkpoint(cfg.ckpt_path, cfg.paths.log_dir)
    destination = Path(cfg.output_dir)
    if destination.exists() and any(destination.iterdir()):
        raise FileExistsError(f"output_dir={destination} is not empty: choose a new folder or remove it.")
    model = get_class(cfg.model._target_).load_from_checkpoint(
        checkpoint, map_location="cpu", weights_only=True
    )
    model.eval()
    datamodule = instantiate(cfg.data, **model.data_arguments())
    datamodule.setup()
    record.update(checkpoint=file_fingerprint(checkpoint), data=datamodule.fingerprint())
    held_out = torch.cat([inputs for inputs, _ in datamodule.test_dataloader()])[: cfg.export.parity_examples]

    # Built in a temporary folder and moved into place only once it passes the check.
    with tempfile.TemporaryDirectory(dir=destination.parent if destination.parent.exists() else None) as work:
        work = Path(work)
        write_weights_and_config(model, datamodule.input_schema(), work)
        export_onnx(model, held_out[:2], work / ONNX_FILE)
        difference = max_difference(work / ONNX_FILE, model, held_out)
        write_json(
            {
                "checkpoint": str(checkpoint),
                "parity_examples": len(held_out),
                "max_abs_difference": difference,
                "tolerance": cfg.export.tolerance,
            },
            work / REPORT_FILE,
        )
        if difference > cfg.export.tolerance:
            raise ValueError(
                f"ONNX Runtime's predictions differ from PyTorch's by up to {difference:.3g} on "
                f"{len(held_out)} test examples, above export.tolerance={cfg.export.tolerance}: the graph "
                "is not trustworthy; nothing was written. Report the model's layers to the ONNX exporter, "
                "or raise the tolerance if the difference is acceptable for your use."
            )
        card = checkpoint.parent.parent / MODEL_CARD_FILE
        if card.is_file():
            shutil.copyfile(card, work / CARD_FILE)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(destination, ignore_errors=True)  # an empty folder the user made
        shutil.copytree(work, destination)
    log.info("ONNX and PyTorch agree to %.2g on %d test examples.", difference, len(held_out))
    record.update(bundle=str(destination), max_abs_difference=difference)
    print(f"Model bundle: {destination} (ONNX vs PyTorch max difference {difference:.2g})")
    return destination


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="export")
def main(cfg: DictConfig) -> None:
    export(cfg)


if __name__ == "__main__":
    main()
