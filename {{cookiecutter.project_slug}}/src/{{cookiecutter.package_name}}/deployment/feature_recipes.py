"""Feature functions (`data.feature_fn`) as data: a recipe (the function's name and arguments) that a
model bundle carries, replayed when it predicts.

A recipe holds no code. Only a public function of this project's `data/features.py` can be replayed,
looked up by name there, so a bundle can never make the service run code of its own choosing. This
machinery lives apart from `features.py` so that every public function there is one of yours.
"""

import inspect
from collections.abc import Callable
from typing import Any

import pandas as pd
from omegaconf import DictConfig, ListConfig, OmegaConf

from ..data import features as feature_functions
from ..errors import CheckpointError, ConfigError, DataError


class FeatureFunctionError(DataError):
    """The feature function refused the rows (e.g. add_log1p given a negative amount)."""


def replayable() -> dict[str, Callable]:
    """The public functions defined in `data/features.py`, by name."""
    return {
        name: function
        for name, function in inspect.getmembers(feature_functions, inspect.isfunction)
        if function.__module__ == feature_functions.__name__ and not name.startswith("_")
    }


def feature_recipe(feature_fn: Callable) -> dict[str, Any]:
    """{"function": name, "arguments": {...}} for a `data.feature_fn` partial, or an error saying why it
    cannot travel in a bundle."""
    function = getattr(feature_fn, "func", feature_fn)
    if replayable().get(function.__name__) is not function:
        raise ConfigError(
            f"data.feature_fn={function.__module__}.{function.__name__} cannot be exported: a bundle replays "
            f"feature functions of src/{feature_functions.__name__.replace('.', '/')}.py only. Move the "
            "function there and point data.feature_fn at it."
        )
    arguments = {
        key: OmegaConf.to_container(value) if isinstance(value, DictConfig | ListConfig) else value
        for key, value in (getattr(feature_fn, "keywords", None) or {}).items()
    }
    return {"function": function.__name__, "arguments": arguments}


def replay_features(frame: pd.DataFrame, recipe: dict[str, Any]) -> pd.DataFrame:
    function = replayable().get(recipe["function"])
    if function is None:
        raise CheckpointError(f"The bundle names an unknown feature function {recipe['function']!r}.")
    try:
        return function(frame, **recipe["arguments"])
    except Exception as error:  # the student's function: whatever it raises, these rows are the cause
        raise FeatureFunctionError(
            f"the feature function {recipe['function']} refused them: {error}"
        ) from None
