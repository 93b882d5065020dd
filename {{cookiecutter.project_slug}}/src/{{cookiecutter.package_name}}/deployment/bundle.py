"""A model bundle: everything needed to predict, in formats that cannot run code when loaded.

    model.safetensors    the weights
    model.onnx           the graph from preprocessed inputs to predictions (ONNX Runtime, any language)
    model_config.json    the model class and its hyperparameters (plain values), class names
    input_schema.json    what one example looks like and the preprocessing to apply to it
    preprocessing.json   tables: the fitted preprocessing (fill values, scales, categories)
    export_report.json   the ONNX-against-PyTorch check: inputs compared, largest difference, tolerance
    metrics.json         the test metrics of the run that trained the checkpoint, when there are some
    MODEL_CARD.md        the card of that run, when there is one
    decision.json        binary classifiers: the decision threshold chosen from the costs of mistakes
    expected_cost.png    ... and the expected cost at every threshold

No pickle anywhere: loading a bundle never executes code from it. The model class is looked up in a fixed
list of this project's models, never imported from a name the bundle gives.
"""

import logging
import shutil
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file

from ..errors import CheckpointError
from ..models.image_classifier import ImageClassifier
from ..models.tabular_mlp import TabularMLP

# The files a bundle shares with a run directory keep their names there.
from ..run_directory import METRICS, PREPROCESSING, read_json, write_json

log = logging.getLogger(__name__)
BUNDLE_FORMAT = 1
WEIGHTS_FILE = "model.safetensors"
ONNX_FILE = "model.onnx"
CONFIG_FILE = "model_config.json"
SCHEMA_FILE = "input_schema.json"
REPORT_FILE = "export_report.json"
DECISION_FILE = "decision.json"
COST_PLOT_FILE = "expected_cost.png"
MODEL_CLASSES = {cls.__name__: cls for cls in (ImageClassifier, TabularMLP)}


def write_weights_and_config(model, schema: dict[str, Any], directory: Path) -> None:
    """The safetensors weights, the model's config and the input schema (and tables' preprocessing)."""
    hparams = dict(model.hparams)
    # safetensors refuses tensors that share memory; contiguous copies keep every value.
    weights = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    save_file(weights, str(directory / WEIGHTS_FILE), metadata={"format": "pt"})
    config = {
        "bundle_format": BUNDLE_FORMAT,
        "model_class": type(model).__name__,
        "hparams": hparams,
        "task": "regression" if model.is_regression else "classification",
        "class_names": None if model.is_regression else list(hparams["class_names"]),
    }
    write_json(config, directory / CONFIG_FILE)
    write_json(schema, directory / SCHEMA_FILE)
    if hparams.get("preprocessing"):
        write_json(hparams["preprocessing"], directory / PREPROCESSING)


def copy_test_metrics(metrics_file: Path, checkpoint: Path, directory: Path) -> None:
    """The run's test metrics into the bundle, only if they were measured on this very checkpoint (a run
    tests its best epoch: the metrics of `epoch_004.ckpt` must not be served as those of `last.ckpt`)."""
    measured_on = read_json(metrics_file, default={}).get("checkpoint")
    if measured_on and Path(measured_on).resolve() == checkpoint.resolve():
        shutil.copyfile(metrics_file, directory / METRICS)
    else:
        log.warning(
            "The bundle holds no test metrics: %s were measured on %s, not on %s. Export ckpt_path=best "
            "(the newest run's tested checkpoint) to serve them with the model.",
            metrics_file.name,
            measured_on or "no checkpoint",
            checkpoint,
        )


def read_config(directory: Path) -> dict[str, Any]:
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(
            f"{directory} is not a model bundle (no {CONFIG_FILE}): create one with "
            "python -m <package>.export ckpt_path=... output_dir=..."
        )
    config = read_json(path)
    if config.get("bundle_format") != BUNDLE_FORMAT:
        raise CheckpointError(
            f"{directory} is a bundle of format {config.get('bundle_format')}; this code reads format "
            f"{BUNDLE_FORMAT}: export the checkpoint again with this version of the project."
        )
    if config.get("model_class") not in MODEL_CLASSES:
        raise CheckpointError(f"{directory} names an unknown model class {config.get('model_class')!r}.")
    return config


def load_model(directory: Path):
    """The PyTorch model of a bundle, in eval mode, on the CPU."""
    config = read_config(directory)
    model = MODEL_CLASSES[config["model_class"]](**config["hparams"])
    model.load_state_dict(load_file(str(Path(directory) / WEIGHTS_FILE)))
    return model.eval()
