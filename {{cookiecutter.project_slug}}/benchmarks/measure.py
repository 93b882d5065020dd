"""Side-by-side measurement: warm-up runs excluded, then template and baseline alternate (so that a slow
moment of the machine hits both), and each side's median over the repeats is kept."""

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Comparison:
    """One benchmark pair. `ratio` is template / baseline in `unit`; `goal(template, baseline)` says
    whether the template is fast enough, `goal_text` how that reads."""

    name: str
    template: float
    baseline: float
    unit: str
    goal_text: str | None = None
    goal: Callable[[float, float], bool] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.template / self.baseline

    @property
    def meets_goal(self) -> bool | None:
        return None if self.goal is None else self.goal(self.template, self.baseline)

    def as_json(self) -> dict[str, Any]:
        return {
            # Four significant digits, so that a small ratio (data loading: ~0.03) keeps its precision.
            "ratio": float(f"{self.ratio:.4g}"),
            "template": self.template,
            "baseline": self.baseline,
            "unit": self.unit,
            "goal": self.goal_text,
            "meets_goal": self.meets_goal,
            **self.extra,
        }


def at_most(limit: float) -> Callable[[float, float], bool]:
    return lambda template, baseline: template / baseline <= limit


def at_least(limit: float) -> Callable[[float, float], bool]:
    return lambda template, baseline: template / baseline >= limit


def interleaved_runs(
    measurements: dict[str, Callable[[], float]], repeats: int, warmups: int = 1
) -> dict[str, list[float]]:
    """Every value of `repeats` rounds that run each measurement once, in turn, after `warmups` rounds that
    are thrown away (first-call costs: imports, allocator growth, thread pools, kernel autotuning)."""
    for _ in range(warmups):
        for measure in measurements.values():
            measure()
    values: dict[str, list[float]] = {name: [] for name in measurements}
    for _ in range(repeats):
        for name, measure in measurements.items():
            values[name].append(measure())
    return values


def medians(values: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(series) for name, series in values.items()}


def fastest(values: dict[str, list[float]]) -> dict[str, float]:
    """The least of each series of durations: a busy machine only ever adds time, so the fastest repeat is
    the closest to a loop's own cost (`timeit`'s reasoning). For short timed windows (a second or less),
    where a neighbour's burst can slow one repeat by a third."""
    return {name: min(series) for name, series in values.items()}


def interleaved_medians(
    template: Callable[[], float], baseline: Callable[[], float], repeats: int, warmups: int = 1
) -> tuple[float, float, dict[str, list[float]]]:
    """Median of `repeats` alternating runs of each measurement (`interleaved_runs`); also returns every
    value."""
    values = interleaved_runs({"template": template, "baseline": baseline}, repeats, warmups)
    middle = medians(values)
    return middle["template"], middle["baseline"], values
