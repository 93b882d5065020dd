"""95% confidence intervals of the test metrics, by bootstrap: resample the test examples with
replacement, recompute every metric, and take the percentiles of what comes out.

The metrics are the model's own (`evaluation_metrics`), so the point estimates equal the logged test
metrics and the intervals describe exactly those numbers. A small test split gives wide intervals: that
is the honest answer to "how sure are we?", and the model card reports it.
"""

import numpy as np
import torch
from scipy.stats import bootstrap
from torchmetrics import MetricCollection

from .predictions import Predictions


def confidence_intervals(
    predictions: Predictions,
    metrics: MetricCollection,
    resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """{"test/<metric>": {"value", "low", "high"}} for every metric in `metrics`."""
    outputs, targets = torch.from_numpy(predictions.outputs), torch.from_numpy(predictions.targets)
    names = list(metrics.keys())

    def statistic(indices: np.ndarray) -> np.ndarray:
        rows = torch.as_tensor(indices, dtype=torch.long)
        metrics.reset()
        metrics.update(outputs[rows], targets[rows])
        values = metrics.compute()
        return np.array([float(values[name]) for name in names])

    every_row = np.arange(len(targets))
    estimate = statistic(every_row)
    result = bootstrap(
        (every_row,),
        statistic,
        n_resamples=resamples,
        confidence_level=confidence_level,
        method="percentile",  # BCa fails on metrics that are constant across resamples (e.g. accuracy 1.0)
        vectorized=False,
        rng=np.random.default_rng(seed),
    )
    low, high = result.confidence_interval
    return {
        f"test/{name}": {"value": float(value), "low": float(lo), "high": float(hi)}
        for name, value, lo, hi in zip(names, estimate, low, high, strict=True)
    }
