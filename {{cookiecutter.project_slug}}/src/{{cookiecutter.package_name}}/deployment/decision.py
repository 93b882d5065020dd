"""From a probability to a decision: the threshold that costs least when mistakes have different prices.

A binary classifier outputs P(positive). Acting whenever it exceeds 0.5 is right only when a false
positive costs as much as a false negative. With costs C_FP and C_FN, the threshold with the lowest
expected cost per example, (C_FP x false positives + C_FN x false negatives) / examples, is chosen on the
validation split (never the test split, which must stay an honest estimate). In theory, for calibrated
probabilities, it is C_FP / (C_FP + C_FN); the curve shows how close the model comes.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig

from ..errors import ConfigError
from ..run_directory import write_json

log = logging.getLogger(__name__)
THRESHOLD_GRID = np.linspace(0.0, 1.0, 201)
HALF = len(THRESHOLD_GRID) // 2  # the index of 0.5
MIN_EXAMPLES_PER_CLASS = 30  # validation examples of each class below which a threshold is shaky


@dataclass(frozen=True)
class DecisionPolicy:
    positive_class: str
    threshold: float
    cost_false_positive: float
    cost_false_negative: float
    positive_action: str
    negative_action: str
    expected_cost: float  # per example, on the validation split, at `threshold`
    expected_cost_at_half: float  # the same at the default threshold of 0.5, for comparison
    validation_examples: int

    def action(self, positive_probability: float) -> str:
        return self.positive_action if positive_probability >= self.threshold else self.negative_action

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> DecisionPolicy:
        return cls(**values)


def expected_costs(
    positive_probability: np.ndarray, is_positive: np.ndarray, cost_fp: float, cost_fn: float
) -> np.ndarray:
    """Expected cost per example at every threshold of THRESHOLD_GRID (act when probability >= it)."""
    acted = positive_probability[None, :] >= THRESHOLD_GRID[:, None]
    false_positives = (acted & ~is_positive[None, :]).sum(axis=1)
    false_negatives = (~acted & is_positive[None, :]).sum(axis=1)
    return (cost_fp * false_positives + cost_fn * false_negatives) / len(is_positive)


def choose_policy(
    positive_probability: np.ndarray,
    is_positive: np.ndarray,
    positive_class: str,
    negative_class: str,
    costs: dict,
) -> tuple[DecisionPolicy, np.ndarray]:
    """The cheapest threshold on these (validation) examples, and the whole cost curve.

    Among equally cheap thresholds, the one nearest the theoretical C_FP / (C_FP + C_FN) wins, so a
    flat stretch of the curve does not push the threshold to an arbitrary edge."""
    cost_fp, cost_fn = float(costs["cost_false_positive"]), float(costs["cost_false_negative"])
    if cost_fp < 0 or cost_fn < 0 or cost_fp + cost_fn == 0:
        raise ConfigError(
            f"decision.cost_false_positive={cost_fp} and decision.cost_false_negative={cost_fn} must be "
            "non-negative and not both zero: set what each kind of mistake costs (any common unit)."
        )
    probabilities = np.asarray(positive_probability, dtype=float)
    positives = np.asarray(is_positive, dtype=bool)
    curve = expected_costs(probabilities, positives, cost_fp, cost_fn)
    # Relative to the costs' own scale: in cents or in millions, the same threshold wins.
    cheapest = np.flatnonzero(np.isclose(curve, curve.min(), rtol=1e-9, atol=1e-12 * (cost_fp + cost_fn)))
    theoretical = cost_fp / (cost_fp + cost_fn)
    best = cheapest[np.argmin(np.abs(THRESHOLD_GRID[cheapest] - theoretical))]
    policy = DecisionPolicy(
        positive_class=positive_class,
        threshold=float(THRESHOLD_GRID[best]),
        cost_false_positive=cost_fp,
        cost_false_negative=cost_fn,
        positive_action=costs.get("positive_action") or f"treat as {positive_class}",
        negative_action=costs.get("negative_action") or f"treat as {negative_class}",
        expected_cost=float(curve[best]),
        expected_cost_at_half=float(curve[HALF]),
        validation_examples=len(positives),
    )
    return policy, curve


def plot_expected_cost(curve: np.ndarray, policy: DecisionPolicy, path: Path) -> Path:
    """The expected cost at every threshold, with the chosen and the theoretical ones marked."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    theoretical = policy.cost_false_positive / (policy.cost_false_positive + policy.cost_false_negative)
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(THRESHOLD_GRID, curve, label="expected cost per example (validation)")
    axes.axvline(policy.threshold, color="tab:green", label=f"chosen threshold {policy.threshold:.3f}")
    axes.axvline(theoretical, color="tab:grey", linestyle="--", label=f"C_FP/(C_FP+C_FN) = {theoretical:.3f}")
    axes.set_xlabel(f"act when P({policy.positive_class}) >= threshold")
    axes.set_ylabel("expected cost")
    axes.set_title(f"C_FP = {policy.cost_false_positive:g}, C_FN = {policy.cost_false_negative:g}")
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def write_decision_policy(
    settings: DictConfig, model, datamodule, policy_file: Path, plot_file: Path
) -> DecisionPolicy | None:
    """Binary classifiers: the cheapest decision threshold on the validation split into `policy_file`, its
    cost curve into `plot_file`; None (nothing written) for other models. `settings`: `decision.*`."""
    classes = None if model.is_regression else list(model.hparams.class_names)
    if classes is None or len(classes) != 2:
        if any(settings.get(key) is not None for key in ("positive_class", "positive_action")):
            log.warning("decision.* is set, but only binary classifiers get a decision policy: ignored.")
        return None
    positive = str(settings.positive_class) if settings.positive_class is not None else classes[1]
    if positive not in classes:
        raise ConfigError(f"decision.positive_class={positive!r} is not a class of this model: {classes}.")
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
    write_json(policy.to_dict(), policy_file)
    plot_expected_cost(curve, policy, plot_file)
    return policy
