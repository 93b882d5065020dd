"""Build the lists of callbacks and loggers that the `callbacks/` and `logger/` config groups describe."""

from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig

from ..errors import ConfigError
from .trackers import follow_tracker_runs


def instantiate_callbacks(config: DictConfig | None) -> list[Any]:
    """One callback per entry that has a `_target_`; entries set to null are switched off."""
    if not config:
        return []
    return [instantiate(entry) for entry in config.values() if entry and "_target_" in entry]


def instantiate_loggers(config: DictConfig | None) -> list[Any]:
    """Loggers, with an install hint when the chosen logger's package is missing. Within a run, their
    W&B and MLflow runs are this run's alone (utils/trackers.py)."""
    if not config:
        return []
    loggers = []
    for name, entry in config.items():
        if not entry or "_target_" not in entry:
            continue
        try:
            loggers.append(instantiate(entry))
        except InstantiationException as error:
            if not isinstance(error.__cause__, ImportError):
                raise
            # The optional extras in pyproject.toml are named after the logger configs.
            raise ConfigError(
                f"logger={name} needs the '{name}' package ({error.__cause__}): pip install -e '.[{name}]', "
                "or choose another logger (logger=csv)."
            ) from error
    follow_tracker_runs(loggers)
    return loggers
