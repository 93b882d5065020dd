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
from ..errors import DataError
from .feature_recipes import replay_features

EMPTY_NOT_ALLOWED = "is empty, and the model was trained only on complete rows"
# Standard scores beyond this: the model extrapolates, its answer is a guess (warned, still answered).
FAR_OUTSIDE_TRAINING = 10


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
        self.features: dict[str, Any] | None = schema.get("features")  # data.feature_fn, replayed

    @property
    def columns(self) -> list[str]:
        return list(self.column_types)

    def check_columns(self, columns: list[str]) -> None:
        missing = [column for column in self.columns if column not in columns]
        if missing:
            raise DataError(
                f"The input lacks the model's columns {missing}. It needs all of {self.columns} (empty "
                "cells are allowed and filled as in training); other columns are kept as identifiers."
            )

    def row_problems(self, frame: pd.DataFrame) -> list[dict[str, str]]:
        """For each row: {column: why its value cannot be used}; empty when the row can be scored."""
        problems: list[dict[str, str]] = [{} for _ in range(len(frame))]
        # Number columns as one block: a request's one row has dozens, and column by column the checks
        # cost more than the model.
        numeric = [column for column, kind in self.column_types.items() if kind == NUMERIC]
        block = frame[numeric]
        if all(pd.api.types.is_numeric_dtype(dtype) for dtype in block.dtypes):
            numbers = block.to_numpy(dtype=float)
        else:
            numbers = block.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        present = block.notna().to_numpy()
        for row, position in zip(*np.nonzero(present & ~np.isfinite(numbers)), strict=True):
            problems[row][numeric[position]] = f"{shown(block.iat[row, position])} is not a finite number"
        if self.preprocessor.state["impute"].get("numeric") == "drop":
            for row, position in zip(*np.nonzero(~present), strict=True):
                problems[row][numeric[position]] = EMPTY_NOT_ALLOWED
        for column, kind in self.column_types.items():
            if kind == NUMERIC:
                continue
            values = frame[column]
            present_here = values.notna().to_numpy()
            if kind == DATETIME:
                parsed = parse_dates(values.astype(str).where(values.notna()))
                for row in np.flatnonzero(present_here & parsed.isna().to_numpy()):
                    problems[row][column] = f"{shown(values.iloc[row])} is not an ISO 8601 date (YYYY-MM-DD)"
            if self.preprocessor.state["impute"].get(kind_group(kind)) == "drop":
                for row in np.flatnonzero(~present_here):
                    problems[row][column] = EMPTY_NOT_ALLOWED
        return problems

    def transform(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[dict[str, str]]]:
        """Model inputs (float32) of rows that passed `row_problems`, one per row (after the training's
        feature function, if any: FeatureFunctionError when it refuses them), and for each row the columns
        whose value overflows the scaling (a number astronomically far from the training data)."""
        # The preprocessing picks the model's columns itself; selecting them here too would cost more than
        # scaling a request's one row.
        rows = replay_features(frame[self.columns].copy(), self.features) if self.features else frame
        with np.errstate(all="ignore"):
            matrix = self.preprocessor.transform(rows)
        sources = self.preprocessor.source_columns()
        overflows: list[dict[str, str]] = [{} for _ in range(len(matrix))]
        for row, feature in zip(*np.nonzero(~np.isfinite(matrix)), strict=True):
            overflows[row][sources[feature]] = "is too far outside the training data's range to be scaled"
        return matrix, overflows

    def row_warnings(self, frame: pd.DataFrame, matrix: np.ndarray) -> list[list[str]]:
        """For each row: values the model can score but was not trained on, categories never seen (scored
        as "none of the known ones") and numbers far outside the training range (extrapolation)."""
        notes: list[list[str]] = [[] for _ in range(len(frame))]
        for column, known in self.categories.items():
            if self.column_types[column] != CATEGORICAL:
                continue
            for row, value in enumerate(frame[column]):
                text = category_string(value)
                if isinstance(text, str) and text not in known:
                    notes[row].append(f"{column!r}: category {text!r} was not seen in training")
        numeric = self.preprocessor.state["fitted"]["numeric"]
        sources = self.preprocessor.source_columns()
        with np.errstate(invalid="ignore"):
            far = np.abs(matrix[:, : len(numeric)]) > FAR_OUTSIDE_TRAINING
        for row, feature in zip(*np.nonzero(far), strict=True):
            note = f"{sources[feature]!r}: far outside the training range (over {FAR_OUTSIDE_TRAINING} "
            note += "standard deviations)"
            if note not in notes[row]:
                notes[row].append(note)
        return notes


def shown(value: Any) -> str:
    """A cell's value in a message: text quoted, so that "1e999" and 1e999 read differently."""
    return repr(value) if isinstance(value, str) else str(value)


def kind_group(kind: str) -> str:
    """The data.impute setting that covers a column type (dates are numbers once expanded)."""
    return "categorical" if kind == CATEGORICAL else "numeric"
