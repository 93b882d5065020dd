"""What a run directory holds: the name of every file a run writes about itself, and how its JSON files
are read and written. Every module that writes or reads a run's files takes the names from here.

    logs/<task>/runs/<date>_<time>_<suffix>/
        .hydra/config.yaml        the composed configuration (Hydra), with overrides.yaml and hydra.yaml
        run_record.json           how to reproduce the run, and how it ended (reporting/run_record.py)
        tracker_runs.json         the W&B and MLflow run ids, continued on resume (utils/trackers.py)
        checkpoints/              the best epochs and last.ckpt (callbacks/, configs/callbacks/)
        history.csv               every epoch's metrics (callbacks/metrics_history.py)
        data_summary.json         tables: columns, types and cleaning counts (data/tabular.py)
        preprocessing.json        tables: the fitted preprocessing, readable (data/tabular.py)
        metrics.json              the test metrics and the checkpoint they were measured on
        confusion_matrix.csv      classifiers: true classes by predicted classes
        test_predictions.csv      one row per test example (evaluation/predictions.py)
        fairness.json             per group of `data.sensitive` (evaluation/fairness.py)
        MODEL_CARD.md             the model card (reporting/model_card.py)
        explanations/             SHAP or Captum attributions (interpretability/)
        report.html               one page built from the files above (reporting/dashboard.py)
"""

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HYDRA_FILES = ("config.yaml", "hydra.yaml", "overrides.yaml")
RUN_RECORD = "run_record.json"
TRACKER_RUNS = "tracker_runs.json"
CHECKPOINTS_DIR = "checkpoints"
LAST_CHECKPOINT = "last.ckpt"
HISTORY = "history.csv"
DATA_SUMMARY = "data_summary.json"
PREPROCESSING = "preprocessing.json"
METRICS = "metrics.json"
CONFUSION_MATRIX = "confusion_matrix.csv"
TEST_PREDICTIONS = "test_predictions.csv"
FAIRNESS = "fairness.json"
MODEL_CARD = "MODEL_CARD.md"
EXPLANATIONS_DIR = "explanations"
SHAP_VALUES = "shap_values.csv"
FEATURE_IMPORTANCE = "feature_importance.csv"
REPORT = "report.html"


def run_of_checkpoint(checkpoint: Path) -> Path | None:
    """The run directory that saved `checkpoint` (`<run>/checkpoints/<name>.ckpt`), or None for a checkpoint
    kept anywhere else."""
    return checkpoint.parent.parent if checkpoint.parent.name == CHECKPOINTS_DIR else None


def json_safe(value: object) -> object:
    """JSON has no NaN or infinity: they become null, at any depth, so every JSON reader loads the file."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def read_json(path: Path, default: Any = ...) -> Any:
    """The JSON file at `path`; `default` when it is absent, if one is given (else FileNotFoundError)."""
    if not path.is_file() and default is not ...:
        return default
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(content: object, path: Path) -> Path:
    path.write_text(json.dumps(json_safe(content), indent=2, default=str, allow_nan=False) + "\n")
    return path
