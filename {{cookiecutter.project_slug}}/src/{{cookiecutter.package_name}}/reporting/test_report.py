"""The report of a tested model, written into its run directory by `train` and by `eval` alike (rank zero
only): per-example predictions, confidence intervals, fairness, the model card, explanations,
`metrics.json`, the confusion matrix and `report.html`; then a printed summary."""

import csv
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from ..evaluation.bootstrap import confidence_intervals
from ..evaluation.fairness import fairness_markdown, fairness_report, write_fairness
from ..evaluation.predictions import predict
from ..interpretability.explain_run import explain_model
from ..models.base import TrainedModel
from ..run_directory import CONFUSION_MATRIX, METRICS, write_json
from .console import print_comparison, print_summary
from .dashboard import build_report
from .data_description import describe_data
from .data_files import write_data_files
from .data_fingerprint import data_fingerprint
from .model_card import write_model_card
from .run_record import RunRecord

log = logging.getLogger(__name__)


@dataclass
class TestedModel:
    """A model just tested by a Trainer, with what the report says about it.

    `tested_batches`: how many test batches the trainer ran (all of them unless limited), so that the
    predictions and intervals describe the same examples as the logged test metrics. `all_metrics`:
    training's final metrics next to the test's (train only); `baselines`: classical models' test scores
    and fit seconds, weighed against `training_seconds` (train only).
    """

    model: TrainedModel
    datamodule: Any
    test_metrics: dict[str, float]
    checkpoint: Path | None
    tested_batches: float = math.inf
    all_metrics: dict[str, float] | None = None
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)
    training_seconds: float | None = None


def to_floats(metrics: Mapping[str, torch.Tensor | float]) -> dict[str, float]:
    return {name: float(value) for name, value in sorted(metrics.items())}


def write_test_report(
    cfg: DictConfig,
    tested: TestedModel,
    record: RunRecord,
    entry_point: str,
    files: Mapping[str, object],
    explain: bool,
) -> None:
    """Write the report of `tested` into `cfg.paths.output_dir` and print its summary, listing `files` (what
    the caller wrote: checkpoints, weights) with the report's own. `explain`: add the explanations."""
    output_dir = Path(cfg.paths.output_dir)
    written = {**files, **write_data_files(tested.datamodule, output_dir)}
    evaluation_files, intervals = write_evaluation(cfg, tested, record, entry_point)
    written.update(evaluation_files)
    if explain:
        # In float32 whatever the training precision: the attribution methods take float32 inputs, and
        # bf16 (trainer.precision=bf16-true) is too coarse for their small steps.
        written.update(explain_after_testing(cfg, tested.model.float(), tested.datamodule, output_dir))
    context: dict[str, Any] = {"baselines": tested.baselines} if tested.baselines else {}
    context["checkpoint"] = str(tested.checkpoint) if tested.checkpoint else None
    if tested.all_metrics is not None:
        context["all_metrics"] = tested.all_metrics
    results = {"Run directory": output_dir}
    results["Metrics"] = write_json(
        {
            "metrics": dict(tested.test_metrics),
            **context,
            "confidence_intervals": intervals,
            "confidence_level": cfg.report.confidence_level,
        },
        output_dir / METRICS,
    )
    if tested.model.test_confusion_matrix is not None:
        results["Confusion matrix"] = write_confusion_matrix(
            tested.model.test_confusion_matrix, tested.model.hparams.class_names, output_dir
        )
    results["Report (open in a browser)"] = build_report(output_dir)
    print_summary("Test metrics", tested.test_metrics, {**results, **written})
    if tested.baselines:
        print_comparison(tested.test_metrics, tested.baselines, tested.training_seconds)


def write_evaluation(
    cfg: DictConfig, tested: TestedModel, record: RunRecord, entry_point: str
) -> tuple[dict[str, Path], dict[str, dict[str, float]]]:
    """`test_predictions.csv`, `fairness.json` (when `data.sensitive` names columns) and `MODEL_CARD.md`.
    Returns ({label: file}, confidence intervals of the test metrics)."""
    output_dir = Path(cfg.paths.output_dir)
    report, model, datamodule = cfg.report, tested.model, tested.datamodule
    limit = None if math.isinf(tested.tested_batches) else int(tested.tested_batches)
    predictions = predict(model, datamodule.batches("test", model.device, limit))
    files = {"Test predictions": predictions.write(output_dir, datamodule.test_examples())}
    intervals = confidence_intervals(
        predictions,
        model.evaluation_metrics(),
        resamples=report.bootstrap_resamples,
        confidence_level=report.confidence_level,
    )
    evaluation: dict[str, Any] = {
        "test_metrics": tested.test_metrics,
        "intervals": intervals,
        "baselines": tested.baselines or None,
        "resamples": report.bootstrap_resamples,
        "confidence_level": report.confidence_level,
        "entry_point": entry_point,
    }
    sensitive = list(getattr(datamodule, "sensitive", None) or [])
    if sensitive:
        fairness = fairness_report(predictions, datamodule.test_examples()[sensitive], report.min_group_size)
        files["Fairness"] = write_fairness(fairness, output_dir)
        evaluation["fairness"] = fairness_markdown(fairness)
    data = {
        **describe_data(datamodule),
        "fingerprint": record.content.get("data") or data_fingerprint(datamodule),
    }
    files["Model card"] = write_model_card(
        output_dir,
        OmegaConf.to_container(cfg.model_card, resolve=True),
        model,
        data,
        evaluation,
        record.content,
        scrub=record.scrubber.text,
    )
    return files, intervals


def write_confusion_matrix(matrix: torch.Tensor, class_names: list[str], output_dir: Path) -> Path:
    """Rows are true classes, columns predicted classes."""
    path = Path(output_dir) / CONFUSION_MATRIX
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["true \\ predicted", *class_names])
        for name, row in zip(class_names, matrix.tolist(), strict=True):
            writer.writerow([name, *row])
    return path


def explain_after_testing(
    cfg: DictConfig, model: TrainedModel, datamodule, output_dir: Path
) -> dict[str, Path]:
    """Explanations are a bonus: if they fail, the run keeps its metrics, card and report."""
    try:
        return explain_model(cfg.explain, model, datamodule, output_dir, seed=cfg.get("seed") or 0)
    except Exception:
        log.exception(
            "The explanations failed; the metrics, model card and report are kept. Retry with "
            "python -m {{ cookiecutter.package_name }}.explain ckpt_path=%s",
            output_dir,
        )
        return {}
