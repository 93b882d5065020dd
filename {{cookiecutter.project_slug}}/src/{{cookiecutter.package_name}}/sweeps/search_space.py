"""Hydra's sweep syntax as Optuna distributions.

choice(32, 64, 128)            -> categorical
range(1, 5)                    -> integers 1..4
interval(0.0, 0.5)             -> floats between the two
tag(log, interval(1e-4, 1e-2)) -> on a log scale
anything else                  -> a fixed value, the same in every trial
"""

from collections.abc import Mapping, Sequence

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import IntervalSweep, Override, RangeSweep, Transformer
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from ..errors import ConfigError


def to_distribution(override: Override) -> BaseDistribution:
    value = override.value()
    if override.is_choice_sweep() or (isinstance(value, RangeSweep) and value.shuffle):
        # Encoded as override strings, so lists (e.g. hidden sizes [64,32]) are valid choices too.
        return CategoricalDistribution(list(override.sweep_iterator(transformer=Transformer.encode)))
    if isinstance(value, RangeSweep):
        if any(isinstance(bound, float) for bound in (value.start, value.stop, value.step)):
            return FloatDistribution(value.start, value.stop - value.step, step=value.step)
        return IntDistribution(int(value.start), int(value.stop) - int(value.step), step=int(value.step))
    if isinstance(value, IntervalSweep):
        log = "log" in value.tags
        if isinstance(value.start, int) and isinstance(value.end, int):
            return IntDistribution(value.start, value.end, log=log)
        return FloatDistribution(float(value.start), float(value.end), log=log)
    raise ConfigError(f"{override.input_line}: unsupported sweep; use choice(), range() or interval().")


def parse_search_space(
    params: Mapping[str, str], arguments: Sequence[str]
) -> tuple[dict[str, BaseDistribution], list[str]]:
    """(searched parameters, fixed overrides) from the config's `params` and the command line.

    A parameter given on the command line replaces the one in `params`.
    """
    lines = {key: f"{key}={value}" for key, value in params.items()}
    parser = OverridesParser.create()
    for override in parser.parse_overrides(list(arguments)):
        lines[override.get_key_element()] = override.input_line
    searched, fixed = {}, []
    for override in parser.parse_overrides(list(lines.values())):
        if override.is_sweep_override():
            searched[override.get_key_element()] = to_distribution(override)
        else:
            fixed.append(override.input_line)
    return searched, fixed


def trial_overrides(params: Mapping[str, object], fixed: Sequence[str]) -> list[str]:
    """The command-line overrides of one trial: the fixed ones plus its sampled values."""
    return [*fixed, *(f"{key}={value}" for key, value in params.items())]
