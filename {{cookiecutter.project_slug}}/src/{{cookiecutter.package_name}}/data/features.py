"""Feature engineering: your own functions from a raw table to the table the model sees.

Point `data.feature_fn` at a function here (or anywhere importable) that takes and returns a DataFrame:

    feature_fn:
      _target_: <package>.data.features.add_squares
      _partial_: true
      columns: [x2]

It runs on the whole table before the train/val/test split, so it must work row by row (derive a
column from other columns of the same row). Anything that learns from the data, such as a mean, a
vocabulary or a scaling, belongs in the preprocessing fitted on the training split, or it leaks
information from the test rows into training.
"""

import numpy as np
import pandas as pd

from ..errors import DataError


def add_squares(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Add `<column>_squared` for each column: lets a linear model fit a quadratic effect."""
    return frame.assign(**{f"{column}_squared": frame[column] ** 2 for column in columns})


def add_log1p(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Add `log1p_<column>` for each non-negative column: tames long-tailed amounts such as prices."""
    negative = [column for column in columns if (frame[column] < 0).any()]
    if negative:
        raise DataError(f"add_log1p needs non-negative values, but {negative} have negative ones.")
    return frame.assign(**{f"log1p_{column}": np.log1p(frame[column]) for column in columns})
