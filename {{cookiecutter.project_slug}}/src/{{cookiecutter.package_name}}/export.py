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
MIN_EXAMPLES_PER_CLASS = 30  # validation examples of each class below which a decision threshold is shaky


def export(cfg: DictConfig) -> Path:
    """Write the bundle of `cfg.ckpt_path` into `cfg.output_dir`; returns that directory.

    `run_record.json` in the export's run directory records the run, however it ends."""
    from {{ cookiecutter.package_name }}.reporting.run_record import recorded_run

    with recorded_run(cfg) as record:
        return export_checkpoint(cfg, record)


def export_checkpoint(cfg: DictConfig, record) -> Path:
    import torch
    from hydra.utils import get_class, instantiate

    from {{ cookiecutter.package_name }}.deployment.bundle import (
        CARD_FILE,
        METRICS_FILE,
        ONNX_FILE,
        REPORT_FILE,
        write_weights_and_config,
    )
    from {{ cookiecutter.package_name }}.deployment.input_schema import input_schema
    from {{ cookiecutter.package_name }}.deployment.onnx_graph import export_onnx, max_difference
    from {{ cookiecutter.package_name }}.reporting.data_fingerprint import (
        data_fingerprint,
        file_fingerprint,
    )
    from {{ cookiecutter.package_name }}.reporting.model_card import MODEL_CARD_FILE
    from {{ cookiecutter.package_name }}.utils.checkpoints import resolve_checkpoint
    from {{ cookiecutter.package_name }}.utils.run_artifacts import write_json

    if not cfg.get("ckpt_path"):
        raise ValueError("export needs a checkpoint: pass ckpt_path=best, ckpt_path=last or a .ckpt file.")
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
    record.update(checkpoint=file_fingerprint(checkpoint), data=data_fingerprint(datamodule))
    held_out = torch.cat([inputs for inputs, _ in datamodule.batches("test")])[: cfg.export.parity_examples]

    # Built in a temporary folder and moved into place only once it passes the check.
    with tempfile.TemporaryDirectory(dir=destination.parent if destination.parent.exists() else None) as work:
        work = Path(work)
        write_weights_and_config(model, input_schema(datamodule), work)
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
        run_dir = checkpoint.parent.parent  # the training run's directory, above checkpoints/
        if (run_dir / MODEL_CARD_FILE).is_file():
            shutil.copyfile(run_dir / MODEL_CARD_FILE, work / CARD_FILE)
        copy_test_metrics(run_dir / METRICS_FILE, checkpoint, work / METRICS_FILE)
        policy = write_decision_policy(cfg.decision, model, datamodule, work)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(destination, ignore_errors=True)  # an empty folder the user made
        shutil.copytree(work, destination)
    log.info("ONNX and PyTorch agree to %.2g on %d test examples.", difference, len(held_out))
    if policy is not None:
        log.info(
            "Decision threshold P(%s) >= %.3f: expected cost %.4g per example on validation (%.4g at 0.5).",
            policy.positive_class,
            policy.threshold,
            policy.expected_cost,
            policy.expected_cost_at_half,
        )
    record.update(bundle=str(destination), max_abs_difference=difference)
    print(f"Model bundle: {destination} (ONNX vs PyTorch max difference {difference:.2g})")
    return destination


def copy_test_metrics(metrics_file: Path, checkpoint: Path, destination: Path) -> None:
    """The run's test metrics, only if they were measured on this very checkpoint (a run tests its best
    epoch: the metrics of `epoch_004.ckpt` must not be served as those of `last.ckpt`)."""
    import json

    measured_on = json.loads(metrics_file.read_text()).get("checkpoint") if metrics_file.is_file() else None
    if measured_on and Path(measured_on).resolve() == checkpoint.resolve():
        shutil.copyfile(metrics_file, destination)
    else:
        log.warning(
            "The bundle holds no test metrics: %s were measured on %s, not on %s. Export ckpt_path=best "
            "(the newest run's tested checkpoint) to serve them with the model.",
            metrics_file.name,
            measured_on or "no checkpoint",
            checkpoint,
        )


def write_decision_policy(settings: DictConfig, model, datamodule, directory: Path):
    """Binary classifiers: the cheapest decision threshold on the validation split (see
    `deployment/decision.py`) into `decision.json`, its cost curve into `expected_cost.png`."""
    import torch

    from {{ cookiecutter.package_name }}.deployment.bundle import COST_PLOT_FILE, DECISION_FILE
    from {{ cookiecutter.package_name }}.deployment.decision import choose_policy, plot_expected_cost
    from {{ cookiecutter.package_name }}.utils.run_artifacts import write_json

    classes = None if model.is_regression else list(model.hparams.class_names)
    if classes is None or len(classes) != 2:
        if any(settings.get(key) is not None for key in ("positive_class", "positive_action")):
            log.warning("decision.* is set, but only binary classifiers get a decision policy: ignored.")
        return None
    positive = str(settings.positive_class) if settings.positive_class is not None else classes[1]
    if positive not in classes:
        raise ValueError(f"decision.positive_class={positive!r} is not a class of this model: {classes}.")
    with torch.no_grad():
        batches = [(model.predictions(model(inputs)), labels) for inputs, labels in datamodule.batches("val")]
    probabilities = torch.cat([p for p, _ in batches])[:, classes.index(positive)].numpy()
    is_positive = (torch.cat([labels for _, labels in batches]) == classes.index(positive)).numpy()
    negative = classes[1 - classes.index(positive)]
    policy, curve = choose_policy(probabilities, is_positive, positive, negative, dict(settings))
    if min(is_positive.sum(), (~is_positive).sum()) < MIN_EXAMPLES_PER_CLASS:
        log.warning(
            "The decision threshold %.3f was chosen on %d validation examples (%d positive): too few to "
            "trust. Check expected_cost.png, and use a larger validation split (data.val_fraction).",
            policy.threshold,
            len(is_positive),
            is_positive.sum(),
        )
    write_json(policy.to_dict(), directory / DECISION_FILE)
    plot_expected_cost(curve, policy, directory / COST_PLOT_FILE)
    return policy


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="export")
def main(cfg: DictConfig) -> None:
    export(cfg)


if __name__ == "__main__":
    main()
