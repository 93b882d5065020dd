"""Classical baselines trained on the network's own split and inputs: does the network beat them?

A linear model (linear or logistic regression) and gradient-boosted trees, scored with the same metrics
as the network (`tabular_objectives.task_metrics`) on the same test rows, with the seconds each took to fit:
what the network's training time is weighed against.
"""

import logging
import time

import torch
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from ..data.tabular_preprocessing import in_target_units
from .tabular_objectives import REGRESSION, task_metrics

log = logging.getLogger(__name__)
BASELINE_SEED = 0
FIT_SECONDS = "fit_seconds"  # next to a baseline's scores; a run's training seconds are the network's


def baseline_estimators(task: str) -> dict:
    if task == REGRESSION:
        return {
            "linear_regression": LinearRegression(),
            "gradient_boosting": HistGradientBoostingRegressor(random_state=BASELINE_SEED),
        }
    return {
        "logistic_regression": LogisticRegression(max_iter=2000),
        "gradient_boosting": HistGradientBoostingClassifier(random_state=BASELINE_SEED),
    }


def fit_baselines(datamodule) -> dict[str, dict[str, float]]:
    """{baseline name: {"test/<metric>": value, ..., "fit_seconds": seconds}} for a set-up
    `TabularDataModule`."""
    preprocessing = datamodule.preprocessor
    train_inputs, train_targets = (tensor.numpy() for tensor in datamodule.train_set.tensors)
    test_inputs, test_targets = datamodule.test_set.tensors
    results = {}
    for name, estimator in baseline_estimators(preprocessing.task).items():
        started = time.perf_counter()
        estimator.fit(train_inputs, train_targets)
        fit_seconds = time.perf_counter() - started
        if preprocessing.task == REGRESSION:
            # Targets are standardised for training; score in the target's own units, as the network is.
            predictions = torch.from_numpy(estimator.predict(test_inputs.numpy())).float()
            predictions = in_target_units(predictions, preprocessing.state)
            targets = in_target_units(test_targets, preprocessing.state)
        else:
            predictions = torch.from_numpy(estimator.predict_proba(test_inputs.numpy())).float()
            targets = test_targets
        # Fitted and scored by the main process alone, also under DDP.
        metrics = task_metrics(preprocessing.task, len(preprocessing.classes or []), sync_on_compute=False)
        metrics.update(predictions, targets)
        results[name] = {f"test/{metric}": float(value) for metric, value in metrics.compute().items()}
        results[name][FIT_SECONDS] = round(fit_seconds, 3)
    return results


def compare_baselines(datamodule, loggers) -> dict[str, dict[str, float]]:
    """The baselines' test scores on the network's split (tabular data only; {} otherwise), printed and
    logged to `loggers` next to the network's metrics."""
    from ..data.tabular import TabularDataModule

    if not isinstance(datamodule, TabularDataModule):
        return {}
    baselines = fit_baselines(datamodule)
    for name, scores in baselines.items():
        log.info(
            "Baseline %s: %s", name, ", ".join(f"{metric}={value:.4g}" for metric, value in scores.items())
        )
    flat = {
        f"baseline/{name}/{metric}": value
        for name, scores in baselines.items()
        for metric, value in scores.items()
    }
    for logger in loggers:
        logger.log_metrics(flat)
    return baselines
