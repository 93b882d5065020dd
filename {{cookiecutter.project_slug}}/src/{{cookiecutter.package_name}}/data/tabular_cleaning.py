"""From a raw table to clean rows: choose the input columns, drop what cannot be used, infer the task.

Every removal is counted, so the data summary says how many rows each rule cost.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from pandas.api import types

from ..errors import ConfigError, DataError
from .tabular_columns import CATEGORICAL, as_categories, check_no_stray_text, infer_column_types
from .tabular_leaks import find_identifiers, find_row_indexes, warn_about_dropped
from .tabular_preprocessing import CLASSIFICATION, REGRESSION

log = logging.getLogger(__name__)

IMPUTE_CHOICES = {"numeric": ("median", "mean", "drop"), "categorical": ("most_frequent", "missing", "drop")}
# An integer target with at most this many distinct values is taken for class labels.
MAX_INFERRED_CLASSES = 20
# A categorical column with more distinct values than this share of rows is probably not a category.
IDENTIFIER_SHARE = 0.5
DUPLICATE_WARNING_SHARE = 0.1


@dataclass
class CleanTable:
    frame: pd.DataFrame  # clean rows: the inputs, the target and the sensitive columns
    column_types: dict[str, str]  # model inputs only
    task: str
    classes: list[str] | None
    impute: dict[str, str]  # the missing-value policy per column kind
    counts: dict[str, int] = field(default_factory=dict)  # rows read, and rows each rule removed
    dropped: dict[str, str] = field(default_factory=dict)  # row indexes and identifiers found: {column: why}


def check_columns_exist(frame: pd.DataFrame, option: str, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ConfigError(
            f"{option} names {missing}, which the table does not have. Its columns: {list(frame.columns)}."
        )


def infer_task(target: pd.Series) -> str:
    values = target.dropna()
    check_no_stray_text(values)
    if types.is_bool_dtype(values) or not types.is_numeric_dtype(values):
        return CLASSIFICATION
    whole_numbers = bool((values % 1 == 0).all())
    return CLASSIFICATION if whole_numbers and values.nunique() <= MAX_INFERRED_CLASSES else REGRESSION


def check_impute(impute: Mapping[str, str]) -> dict[str, str]:
    chosen = {"numeric": "median", "categorical": "most_frequent", **dict(impute)}
    for kind, choice in chosen.items():
        if choice not in IMPUTE_CHOICES.get(kind, ()):
            choices = list(IMPUTE_CHOICES.get(kind, []))
            raise ConfigError(f"data.impute.{kind}={choice!r}: choose one of {choices}.")
    return chosen


def clean_table(
    frame: pd.DataFrame,
    target: str,
    task: str | None = None,
    features: Sequence[str] | None = None,
    drop: Sequence[str] = (),
    sensitive: Sequence[str] = (),
    column_types: Mapping[str, str] | None = None,
    impute: Mapping[str, str] | None = None,
    feature_fn: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    keep: Sequence[str] = (),
) -> CleanTable:
    """`keep`: columns to use as inputs even if they look like a row index or an identifier. With
    `features` given, the inputs are the user's choice and nothing is dropped on suspicion."""
    impute = check_impute(impute or {})
    if target not in frame.columns:
        raise ConfigError(
            f"data.target={target!r} is not a column of the table. Its columns: {list(frame.columns)}."
        )
    check_columns_exist(frame, "data.drop", drop)
    check_columns_exist(frame, "data.sensitive", sensitive)
    check_columns_exist(frame, "data.keep", keep)
    contradictions = sorted(set(keep) & {*drop, *sensitive})
    if contradictions:
        raise ConfigError(
            f"data.keep names {contradictions}, which data.drop or data.sensitive also name: a column is "
            "either an input or not. Remove it from one of them."
        )
    counts = {"rows_read": len(frame)}
    suspects = [] if features else [c for c in frame.columns if c not in {target, *drop, *sensitive, *keep}]
    # Found in file order, and gone before duplicates are looked for: a row index tells every row apart.
    dropped = find_row_indexes(frame, suspects)
    frame = frame.drop(columns=list(dropped))

    labelled = frame[frame[target].notna()]
    counts["missing_target_dropped"] = len(frame) - len(labelled)
    if labelled.empty:
        raise DataError(f"data.target={target!r} is empty in every row: there is nothing to learn from.")
    # Whole-row duplicates, identifier columns included: two records with different IDs are not copies.
    unique = labelled.drop_duplicates()
    counts["duplicates_dropped"] = len(labelled) - len(unique)
    if counts["duplicates_dropped"] > DUPLICATE_WARNING_SHARE * len(labelled):
        log.warning(
            "Dropped %d duplicate rows, %.0f%% of the table: check that the file is not repeated, or whether "
            "repeated rows are real (then add an identifier column that tells them apart).",
            counts["duplicates_dropped"],
            100 * counts["duplicates_dropped"] / len(labelled),
        )
    unique = unique.reset_index(drop=True)
    # After the duplicates are gone: a repeated row repeats its identifier too.
    dropped.update(find_identifiers(unique, [column for column in suspects if column not in dropped]))
    warn_about_dropped(dropped)

    engineered = feature_fn(unique) if feature_fn is not None else unique
    excluded = {target, *drop, *sensitive, *dropped}
    if features:
        check_columns_exist(engineered, "data.features", features)
        overlap = sorted(set(features) & excluded)
        if overlap:
            raise ConfigError(
                f"data.features includes {overlap}, which are the target, dropped or sensitive."
            )
        inputs = list(features)
    else:
        inputs = [column for column in engineered.columns if column not in excluded]
    empty = [column for column in inputs if engineered[column].isna().all()]
    if empty:
        log.warning("Ignoring columns with no values at all: %s", empty)
        inputs = [column for column in inputs if column not in empty]
    counts["empty_columns_dropped"] = len(empty)
    if not inputs:
        raise ConfigError(
            "No input columns are left: check data.features, data.drop and data.sensitive (and the warnings "
            "above for columns dropped as row indexes or identifiers: data.keep keeps them)."
        )

    kinds = infer_column_types(engineered[inputs], column_types)
    warn_about_identifiers(engineered, kinds)
    rows = engineered[[*inputs, target, *sensitive]]
    rows, counts["missing_values_dropped"] = drop_incomplete_rows(rows, kinds, impute)
    task = task or infer_task(rows[target])
    classes = check_target(rows[target], target, task)
    return CleanTable(rows.reset_index(drop=True), kinds, task, classes, impute, counts, dropped)


def warn_about_identifiers(frame: pd.DataFrame, kinds: Mapping[str, str]) -> list[str]:
    """Categorical columns with a different value in most rows: identifiers or free text, most likely."""
    suspects = [
        column
        for column, kind in kinds.items()
        if kind == CATEGORICAL
        and frame[column].nunique() > MAX_INFERRED_CLASSES
        and frame[column].nunique() > IDENTIFIER_SHARE * len(frame)
    ]
    if suspects:
        log.warning(
            "Columns %s have a different value in most rows (identifiers or free text?). Each value becomes "
            "its own one-hot input, which the model cannot generalise from: add them to data.drop unless "
            "they really are categories.",
            suspects,
        )
    return suspects


def drop_incomplete_rows(
    rows: pd.DataFrame, kinds: Mapping[str, str], impute: Mapping[str, str]
) -> tuple[pd.DataFrame, int]:
    """Rows with a gap in a column whose policy is `drop`; other gaps are imputed later."""

    def policy(kind: str) -> str:
        return impute["categorical" if kind == CATEGORICAL else "numeric"]

    strict = [column for column, kind in kinds.items() if policy(kind) == "drop"]
    kept = rows.dropna(subset=strict) if strict else rows
    if kept.empty:
        raise DataError(
            "Every row has a missing value in a column whose data.impute policy is `drop`: impute instead "
            "(data.impute.numeric=median, data.impute.categorical=most_frequent)."
        )
    return kept, len(rows) - len(kept)


def check_target(target: pd.Series, name: str, task: str) -> list[str] | None:
    """The class names of a classification target (sorted); None for regression."""
    if task == REGRESSION:
        if types.is_bool_dtype(target) or not types.is_numeric_dtype(target):
            numbers = pd.to_numeric(target, errors="coerce")
            examples = target[numbers.isna()].astype(str).unique()[:3].tolist()
            raise ConfigError(
                f"data.task=regression needs a numeric target, but {name!r} holds values such as {examples}. "
                "Set data.task=classification, or choose a numeric column as data.target."
            )
        return None
    if task != CLASSIFICATION:
        raise ConfigError(f"data.task={task!r}: choose regression or classification (or null to infer it).")
    classes = sorted(as_categories(target).unique(), key=class_order)
    if len(classes) < 2:
        raise DataError(f"Target {name!r} has a single class {classes}: a classifier needs at least two.")
    return classes


def class_order(name: str) -> tuple[int, float | str]:
    """Numbered classes in numeric order (2 before 10), then named ones alphabetically."""
    try:
        return (0, float(name))
    except ValueError:
        return (1, name)
