"""The preprocessing that turns table rows into model inputs and targets, fitted on the training split.

scikit-learn's `ColumnTransformer` imputes missing values and scales numeric columns, and imputes and
one-hot encodes categorical ones. What it learned (fill values, means, scales, categories, class names)
is kept as plain JSON-compatible values: saved inside checkpoints and as `preprocessing.json`, and
rebuilt into the same transformer by evaluation, batch prediction and serving. Nothing is pickled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ..errors import CheckpointError, DataError
from .tabular_columns import CATEGORICAL, DATETIME, as_categories, to_model_columns

REGRESSION, CLASSIFICATION = "regression", "classification"
MISSING_CATEGORY = "missing"
STATE_VERSION = 1


def build_transformer(
    numeric: list[str], categorical: list[str], numeric_impute: str, categorical_impute: str
) -> ColumnTransformer:
    """`numeric_impute`: median or mean; `categorical_impute`: most_frequent or missing (a category of
    its own). With `drop` the cleaning step already removed rows with gaps, so any strategy is unused."""
    transformers = []
    if numeric:
        strategy = "mean" if numeric_impute == "mean" else "median"
        numeric_steps = [("impute", SimpleImputer(strategy=strategy, keep_empty_features=True))]
        transformers.append(("numeric", Pipeline([*numeric_steps, ("scale", StandardScaler())]), numeric))
    if categorical:
        imputer = (
            SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY, keep_empty_features=True)
            if categorical_impute == MISSING_CATEGORY
            else SimpleImputer(strategy="most_frequent", keep_empty_features=True)
        )
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        transformers.append(
            ("categorical", Pipeline([("impute", imputer), ("encode", encoder)]), categorical)
        )
    return ColumnTransformer(transformers, verbose_feature_names_out=False)


class TabularPreprocessor:
    """Inputs: raw columns -> float32 matrix. Target: labels -> class indices, or values -> standard scores.

    Build one with `fit` (training rows only) or `from_state` (a saved `state_dict`).
    """

    def __init__(self, state: Mapping[str, Any]) -> None:
        self.state = dict(state)
        self.column_types: dict[str, str] = dict(state["column_types"])
        self.target: str = state["target"]
        self.task: str = state["task"]
        self.classes: list[str] | None = state.get("classes")
        self.transformer = self._rebuild_transformer(state["fitted"])

    @classmethod
    def fit(
        cls,
        train: pd.DataFrame,
        column_types: Mapping[str, str],
        target: str,
        task: str,
        classes: list[str] | None = None,
        numeric_impute: str = "median",
        categorical_impute: str = "most_frequent",
    ) -> TabularPreprocessor:
        inputs = to_model_columns(train, column_types)
        numeric = [column for column in inputs.columns if column not in categorical_columns(column_types)]
        categorical = categorical_columns(column_types)
        transformer = build_transformer(numeric, categorical, numeric_impute, categorical_impute).fit(inputs)
        fitted = extract_fitted(transformer, numeric, categorical)
        target_values = train[target].astype(float) if task == REGRESSION else None
        state = {
            "version": STATE_VERSION,
            "column_types": dict(column_types),
            "target": target,
            "task": task,
            "classes": list(classes) if task == CLASSIFICATION else None,
            # A regression network learns standardised targets; predictions are scaled back.
            "target_mean": float(target_values.mean()) if target_values is not None else None,
            "target_std": float(target_values.std(ddof=0) or 1.0) if target_values is not None else None,
            "impute": {"numeric": numeric_impute, "categorical": categorical_impute},
            "fitted": fitted,
        }
        return cls(state)

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> TabularPreprocessor:
        if state.get("version") != STATE_VERSION:
            raise CheckpointError(
                f"This preprocessing was saved in format {state.get('version')}, but this code reads "
                f"format {STATE_VERSION}: evaluate it with the project version that trained it."
            )
        return cls(state)

    def state_dict(self) -> dict[str, Any]:
        return dict(self.state)

    @property
    def feature_names(self) -> list[str]:
        """One name per model input, e.g. `age` or `city_Paris` for a one-hot column."""
        return list(self.state["fitted"]["feature_names"])

    def source_columns(self) -> list[str]:
        """The table column each model input comes from: a date's parts and a category's one-hot columns
        map back to their column, so explanations can be reported under the names users know."""
        fitted = self.state["fitted"]
        dates = [column for column, kind in self.column_types.items() if kind == DATETIME]
        sources = [
            name if name in self.column_types else next(d for d in dates if name.startswith(f"{d}_"))
            for name in fitted["numeric"]
        ]
        for column, categories in zip(fitted["categorical"], fitted["categories"], strict=True):
            sources += [column] * len(categories)
        return sources

    @property
    def num_features(self) -> int:
        return len(self.feature_names)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        inputs = to_model_columns(frame, self.column_types)
        # The fitted numeric and categorical pipelines, called directly: the same result as the
        # ColumnTransformer's transform without its per-call joblib set-up, which dominates (and warns
        # from every thread) when a server transforms one row per request.
        parts = [
            pipeline.transform(inputs[columns])
            for name, pipeline, columns in self.transformer.transformers_
            if name != "remainder"
        ]
        return np.hstack(parts).astype(np.float32)

    def encode_target(self, values: pd.Series) -> np.ndarray:
        if self.task == REGRESSION:
            return ((values.astype(float) - self.state["target_mean"]) / self.state["target_std"]).to_numpy(
                np.float32
            )
        index = {name: position for position, name in enumerate(self.classes)}
        labels = as_categories(values)
        unknown = sorted(set(labels) - set(index))
        if unknown:
            raise DataError(
                f"Target {self.target!r} has classes {unknown[:5]} that the model was not trained on "
                f"(it knows {self.classes})."
            )
        return labels.map(index).to_numpy(np.int64)

    def _rebuild_transformer(self, fitted: Mapping[str, Any]) -> ColumnTransformer:
        """The fitted transformer, from its learned values alone.

        Fitting on one row made of the learned fill values reproduces the imputers and, with the saved
        category lists, the encoder exactly; the scaler's learned mean and scale are then set directly.
        """
        numeric, categorical = list(fitted["numeric"]), list(fitted["categorical"])
        fill_row = {
            **dict(zip(numeric, fitted["numeric_fill"], strict=True)),
            **dict(zip(categorical, fitted["categorical_fill"], strict=True)),
        }
        one_row = pd.DataFrame({column: [value] for column, value in fill_row.items()})
        one_row[categorical] = one_row[categorical].astype(object)
        # A one-row median or most-frequent value is that row's value: the saved fill, exactly.
        transformer = build_transformer(numeric, categorical, "median", "most_frequent")
        if categorical:
            encoder = transformer.transformers[-1][1].named_steps["encode"]
            encoder.set_params(categories=[list(values) for values in fitted["categories"]])
        transformer.fit(one_row[numeric + categorical])
        if numeric:
            scaler = transformer.named_transformers_["numeric"].named_steps["scale"]
            scaler.mean_ = np.asarray(fitted["mean"], dtype=float)
            scaler.scale_ = np.asarray(fitted["scale"], dtype=float)
            scaler.var_ = scaler.scale_**2
        return transformer


def in_target_units(standardised, state: Mapping[str, Any] | None):
    """Regression values (tensors or arrays) back in the target's own units: networks and baselines learn
    standard scores of the target."""
    state = state or {}
    return standardised * (state.get("target_std") or 1.0) + (state.get("target_mean") or 0.0)


def categorical_columns(column_types: Mapping[str, str]) -> list[str]:
    return [column for column, kind in column_types.items() if kind == CATEGORICAL]


def extract_fitted(transformer: ColumnTransformer, numeric: list[str], categorical: list[str]) -> dict:
    """The transformer's learned values as plain lists, in column order."""
    fitted: dict[str, Any] = {"numeric": numeric, "categorical": categorical}
    if numeric:
        steps = transformer.named_transformers_["numeric"].named_steps
        fitted["numeric_fill"] = steps["impute"].statistics_.astype(float).tolist()
        fitted["mean"] = steps["scale"].mean_.tolist()
        fitted["scale"] = steps["scale"].scale_.tolist()
    else:
        fitted.update(numeric_fill=[], mean=[], scale=[])
    if categorical:
        steps = transformer.named_transformers_["categorical"].named_steps
        fitted["categorical_fill"] = [str(value) for value in steps["impute"].statistics_]
        fitted["categories"] = [[str(value) for value in values] for values in steps["encode"].categories_]
    else:
        fitted.update(categorical_fill=[], categories=[])
    fitted["feature_names"] = [str(name) for name in transformer.get_feature_names_out()]
    return fitted
