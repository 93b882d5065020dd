"""After testing, rank zero only: per-example predictions, confidence intervals and the model card."""

import math
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from ..reporting.data_description import describe_data
from ..reporting.data_fingerprint import data_fingerprint
from ..reporting.model_card import write_model_card
from .bootstrap import confidence_intervals
from .fairness import fairness_markdown, fairness_report, write_fairness
from .predictions import predict


def check_report_settings(cfg: DictConfig) -> None:
    """Refuse, before any training, settings the reports after testing could not use."""
    problems = []
    if not 0 < cfg.report.confidence_level < 1:
        problems.append(
            f"report.confidence_level={cfg.report.confidence_level} must lie between 0 and 1 (0.95)"
        )
    if cfg.report.bootstrap_resamples < 1:
        problems.append(
            f"report.bootstrap_resamples={cfg.report.bootstrap_resamples} must be at least 1 (1000)"
        )
    if cfg.report.min_group_size < 1:
        problems.append(f"report.min_group_size={cfg.report.min_group_size} must be at least 1 (30)")
    for name in ("samples", "background", "permutation_repeats", "images", "steps"):
        if cfg.explain[name] < 1:
            problems.append(f"explain.{name}={cfg.explain[name]} must be at least 1")
    if problems:
        raise ValueError("Invalid report settings: " + "; ".join(problems) + ".")


def report_test_split(
    cfg: DictConfig,
    model,
    datamodule,
    test_metrics: dict[str, float],
    record,
    entry_point: str,
    tested_batches: float = math.inf,
    baselines: dict | None = None,
) -> tuple[dict[str, Path], dict[str, dict[str, float]]]:
    """Write `test_predictions.csv`, `fairness.json` (when `data.sensitive` names columns) and
    `MODEL_CARD.md` into the run directory.

    `tested_batches`: how many test batches the trainer ran (all of them unless limited), so that the
    predictions and intervals describe the same examples as the logged test metrics.
    Returns ({label: file}, confidence intervals of the test metrics).
    """
    output_dir = Path(cfg.paths.output_dir)
    report = cfg.report
    tested = None if math.isinf(tested_batches) else int(tested_batches)
    predictions = predict(model, datamodule.batches("test", model.device, tested))
    files = {"Test predictions": predictions.write(output_dir, datamodule.test_examples())}
    intervals = confidence_intervals(
        predictions,
        model.evaluation_metrics(),
        resamples=report.bootstrap_resamples,
        confidence_level=report.confidence_level,
    )
    evaluation: dict[str, Any] = {
        "test_metrics": test_metrics,
        "intervals": intervals,
        "baselines": baselines,
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
