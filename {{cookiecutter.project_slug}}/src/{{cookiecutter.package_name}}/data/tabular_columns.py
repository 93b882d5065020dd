"""Column types of a table and the stateless conversions that put each column into a model-ready form.

Three types: `numeric`, `categorical` (strings and booleans: one-hot encoded later) and `datetime`
(ISO dates such as 2024-03-31, expanded into numeric year/month/day/day-of-week columns). Inferred from
the values, overridable with `data.column_types`.
"""

import math
from collections.abc import Mapping

import pandas as pd
from pandas.api import types

from ..errors import ConfigError, DataError

NUMERIC, CATEGORICAL, DATETIME = "numeric", "categorical", "datetime"
COLUMN_TYPES = (NUMERIC, CATEGORICAL, DATETIME)
DATETIME_PARTS = ("year", "month", "day", "day_of_week")
ISO_DATE = r"^\d{4}-\d{2}-\d{2}"


def infer_column_type(series: pd.Series) -> str:
    if types.is_bool_dtype(series):
        return CATEGORICAL
    if types.is_numeric_dtype(series):
        return NUMERIC
    if types.is_datetime64_any_dtype(series):
        return DATETIME
    check_no_stray_text(series)
    values = series.dropna().astype(str)
    if len(values) and values.str.match(ISO_DATE).all() and parse_dates(values).notna().all():
        return DATETIME
    return CATEGORICAL


def infer_column_types(frame: pd.DataFrame, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The type of every column of `frame`; `overrides` (column -> type) win over inference."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(frame.columns))
    if unknown:
        raise ConfigError(
            f"data.column_types names {unknown}, which are not model inputs. Inputs: {list(frame.columns)}."
        )
    invalid = {column: kind for column, kind in overrides.items() if kind not in COLUMN_TYPES}
    if invalid:
        raise ConfigError(f"data.column_types={invalid}: each type must be one of {list(COLUMN_TYPES)}.")
    return {column: overrides.get(column) or infer_column_type(frame[column]) for column in frame.columns}


def check_no_stray_text(series: pd.Series, share: float = 0.9) -> None:
    """A column of numbers with a few text values ("-", "?", "n/a") is a data error, not a category."""
    values = series.dropna()
    numbers = pd.to_numeric(values, errors="coerce")
    if len(values) and numbers.notna().mean() >= share and numbers.isna().any():
        strays = values[numbers.isna()].astype(str).unique()[:5].tolist()
        raise DataError(
            f"Column {series.name!r} holds numbers except for {strays}. Replace those with numbers or leave "
            f"the cells empty (empty counts as missing), or declare {series.name!r} categorical under "
            "data.column_types if it really is a category."
        )


def parse_dates(values: pd.Series) -> pd.Series:
    """ISO 8601 dates and times; offsets (+01:00) are converted to UTC, so mixed offsets parse too."""
    return pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)


def category_string(value: object) -> object:
    """One spelling per category, whatever the file format: 3.0 and 3 are "3", True is "True"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return float("nan")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_categories(series: pd.Series) -> pd.Series:
    """Strings, with missing values as NaN (what scikit-learn's imputers look for)."""
    return pd.Series(
        [category_string(value) for value in series], index=series.index, name=series.name, dtype=object
    )


def as_numbers(series: pd.Series) -> pd.Series:
    if types.is_numeric_dtype(series) and not types.is_bool_dtype(series):
        return series.astype(float)  # already numbers: nothing to check (the common case, and fast)
    numbers = pd.to_numeric(series, errors="coerce")
    bad = series[numbers.isna() & series.notna()]
    if len(bad):
        raise DataError(
            f"Column {series.name!r} is numeric, but holds values such as {bad.unique()[:3].tolist()}. "
            f"Fix those values, or declare {series.name!r} categorical under data.column_types."
        )
    return numbers.astype(float)


def expand_datetime(series: pd.Series) -> pd.DataFrame:
    """`<column>_year`, `<column>_month`, ... as numbers; an unparseable date becomes missing."""
    if types.is_datetime64_any_dtype(series):  # e.g. from Parquet: already dates, maybe with a time zone
        dates = series.dt.tz_convert("UTC") if series.dt.tz is not None else series
    else:
        dates = parse_dates(series.astype(str).where(series.notna()))
    return pd.DataFrame(
        {f"{series.name}_{part}": getattr(dates.dt, part).astype(float) for part in DATETIME_PARTS},
        index=series.index,
    )


def to_model_columns(frame: pd.DataFrame, column_types: Mapping[str, str]) -> pd.DataFrame:
    """The input columns as the preprocessing expects them: floats, category strings, expanded dates."""
    missing = [column for column in column_types if column not in frame.columns]
    if missing:
        raise DataError(f"The table lacks the input columns {missing}; expected {list(column_types)}.")
    numeric = [column for column, kind in column_types.items() if kind == NUMERIC]
    block = frame[numeric]
    if all(types.is_numeric_dtype(dtype) and not types.is_bool_dtype(dtype) for dtype in block.dtypes):
        # Already numbers (the common case): one conversion for the block, not one per column, which is
        # most of the cost of a request's single row.
        numbers = block.astype(float)
    else:
        numbers = pd.DataFrame({column: as_numbers(frame[column]) for column in numeric}, index=frame.index)
    columns: dict[str, pd.Series] = {}  # one frame built at the end: much faster than concatenating many
    for column, kind in column_types.items():
        if kind == CATEGORICAL:
            columns[column] = as_categories(frame[column])
        elif kind == DATETIME:
            columns.update(expand_datetime(frame[column]).items())
    return pd.concat([numbers, pd.DataFrame(columns, index=frame.index)], axis=1) if columns else numbers
