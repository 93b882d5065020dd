"""Table rows as a bundle's model expects them, with the reason for every row that cannot be scored.

The checks are those training applied to whole columns, applied here row by row, so one bad cell costs
one row: a number column holding text or infinity, a date column holding something that is not a date.
Empty cells are fine: they are filled as in training.
"""

from typing import Any

import numpy as np
import pandas as pd

from ..data.tabular_columns import CATEGORICAL, DATETIME, NUMERIC, category_string, parse_dates
from ..data.tabular_preprocessing import TabularPreprocessor


class TableInputs:
    """Built from a bundle's `input_schema.json` and `preprocessing.json`."""

    def __init__(self, schema: dict[str, Any], preprocessing: dict[str, Any]) -> None:
        self.column_types = {column["name"]: column["type"] for column in schema["columns"]}
        self.categories = {
            column["name"]: set(column["categories"])
            for column in schema["columns"]
            if "categories" in column
        }
        self.preprocessor = TabularPreprocessor.from_state(preprocessing)

    @property
    def columns(self) -> list[str]:
        return list(self.column_types)

    def check_columns(self, columns: list[str]) -> None:
        missing = [column for column in self.columns if column not in columns]
        if missing:
            raise ValueError(
                f"The input lacks the model's columns {missing}. It needs all of {self.columns} (empty "
                "cells are allowed and filled as in training); other columns are kept as identifiers."
            )

    def row_problems(self, frame: pd.DataFrame) -> list[str | None]:
        """For each row: why it cannot be scored, or None."""
        problems: list[list[str]] = [[] for _ in range(len(frame))]
        for column, kind in self.column_types.items():
            values = frame[column]
            present = values.notna().to_numpy()
            if kind == NUMERIC:
                numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
                bad = present & ~np.isfinite(numbers)
                reason = "is not a finite number"
            elif kind == DATETIME:
                bad = present & parse_dates(values.astype(str).where(values.notna())).isna().to_numpy()
                reason = "is not an ISO 8601 date (YYYY-MM-DD)"
            else:
                continue
            for row in np.flatnonzero(bad):
                value = values.iloc[row]
                shown = repr(value) if isinstance(value, str) else value
                problems[row].append(f"{column!r}: {shown} {reason}")
        return ["; ".join(reasons) or None for reasons in problems]

    def unseen_categories(self, frame: pd.DataFrame) -> list[list[str]]:
        """For each row: the categories training never saw (they are scored as "none of the known")."""
        notes: list[list[str]] = [[] for _ in range(len(frame))]
        for column, known in self.categories.items():
            if self.column_types[column] != CATEGORICAL:
                continue
            for row, value in enumerate(frame[column]):
                text = category_string(value)
                if isinstance(text, str) and text not in known:
                    notes[row].append(f"{column!r}: category {text!r} was not seen in training")
        return notes

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Model inputs (float32) of rows that passed `row_problems`, one per row. A value too large for
        float32 after scaling becomes infinite: `Predictor.predict` reports such rows."""
        with np.errstate(all="ignore"):
            return self.preprocessor.transform(frame[self.columns])
