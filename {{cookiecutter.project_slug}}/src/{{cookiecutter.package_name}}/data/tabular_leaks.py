"""Columns that identify rows or leak the target: found before training, so no score rises on them.

A row index (`Unnamed: 0`, written by pandas' `to_csv` without `index=False`, or a column counting the
rows) and an identifier (`customer_id`, `uuid`: a different value in every row) are dropped: they tell
the model which row it is looking at, not anything it could learn from, and an index sorted by the target
leaks it outright. A column that alone predicts the target almost perfectly on the training split is
pointed out but kept: it may be a leak (computed from the target, or known only after it), or the
genuinely decisive measurement, which only the table's owner can tell.
"""

import logging
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pandas.api import types
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.preprocessing import OrdinalEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from .tabular_columns import CATEGORICAL, as_categories, to_model_columns
from .tabular_preprocessing import CLASSIFICATION

log = logging.getLogger(__name__)

# pandas names a column without a header `Unnamed: <position>` (`_level_<n>` for multi-row headers).
HEADERLESS = re.compile(r"^Unnamed: \d+(_level_\d+)?$")
# A counter this short may be a real feature (the days of a month); longer, it counts the rows.
MIN_INDEX_ROWS = 20
# The first or last word of an identifier's name (`customer_id`, `CustomerID`, `id_customer`, `UUID`).
IDENTIFIER_WORDS = {"id", "ids", "uid", "uuid", "guid", "identifier", "idx", "index", "key", "rowid"}
# ... or its last word after another one (`Order Number`, `serial_no`, `RowNumber`).
NUMBER_WORDS = {"number", "num", "no", "nr"}
# Words of a column name: lower-case runs, capitalised words and acronyms (`HTTPServer` -> HTTP, Server).
NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

# A single column scoring this well (balanced accuracy or R², cross-validated) is worth a second look.
LEAK_SCORE = 0.99
# Trees on a random sample of this many training rows, plenty to see a near-perfect score: about 0.1 s a
# column, whatever the size of the table.
LEAK_SAMPLE_ROWS = 10_000
# Below this, a perfect score on a strong but honest feature is too likely to be luck.
MIN_LEAK_ROWS = 100
# Deep enough for a step function to follow any smooth relation (64 steps: R² 0.9998 for a straight line),
# too shallow to memorise rows. Categories get a full tree: one leaf per category, a lookup table.
LEAK_TREE_DEPTH = 6
LEAK_FOLDS = 5  # scikit-learn's default; fewer folds miss leaks in small tables (an unseen extreme)


def is_headerless(name: object) -> bool:
    return not str(name).strip() or HEADERLESS.match(str(name)) is not None


def counts_rows(series: pd.Series) -> bool:
    """0, 1, 2, ... or 1, 2, 3, ... in file order: a row number, whatever its header."""
    if not types.is_integer_dtype(series) or types.is_bool_dtype(series) or len(series) < MIN_INDEX_ROWS:
        return False
    values = series.to_numpy()
    return values[0] in (0, 1) and bool((np.diff(values) == 1).all())


def is_identifier_name(name: object) -> bool:
    words = [word.lower() for word in NAME_WORDS.findall(str(name))]
    if not words:
        return False
    return bool({words[0], words[-1]} & IDENTIFIER_WORDS) or (len(words) > 1 and words[-1] in NUMBER_WORDS)


def is_identifier(series: pd.Series) -> bool:
    """Named like an identifier, and a different value in every row. Whole numbers or text only: a float
    that is unique per row is a measurement, not a label."""
    if not is_identifier_name(series.name):
        return False
    labels = types.is_integer_dtype(series) or types.is_string_dtype(series) or types.is_object_dtype(series)
    if not labels or types.is_bool_dtype(series):
        return False
    return bool(series.notna().all()) and series.nunique() == len(series)


def find_row_indexes(frame: pd.DataFrame, candidates: Sequence[str]) -> dict[str, str]:
    """{column: why it is a row index} among `candidates`, judged on the rows as read (in file order)."""
    found = {}
    for column in candidates:
        if is_headerless(column):
            found[column] = (
                "it has no header, which is how pandas writes its row index (to_csv without index=False)"
            )
        elif counts_rows(frame[column]):
            first = int(frame[column].iloc[0])
            found[column] = f"it counts the rows ({first}, {first + 1}, {first + 2}, ...): a row index"
    return found


def find_identifiers(frame: pd.DataFrame, candidates: Sequence[str]) -> dict[str, str]:
    """{column: why it is an identifier} among `candidates`."""
    return {
        column: "it is named like an identifier and has a different value in every row"
        for column in candidates
        if is_identifier(frame[column])
    }


def warn_about_dropped(dropped: Mapping[str, str]) -> None:
    for column, reason in dropped.items():
        log.warning(
            "Dropped column %r from the inputs: %s. It tells the model which row it sees, not something "
            "to learn from. To use it anyway, pass 'data.keep=[%s]'.",
            column,
            reason,
            column,
        )


def single_column_score(inputs: pd.DataFrame, kind: str, target: np.ndarray, task: str, seed: int) -> float:
    """How well this column alone predicts the target, cross-validated: balanced accuracy or R²."""
    classify = task == CLASSIFICATION
    if kind == CATEGORICAL:
        encoded = OrdinalEncoder().fit_transform(inputs.astype(object))  # missing stays NaN: a category too
        depth = None
    else:
        encoded = inputs.to_numpy(dtype=float)
        depth = LEAK_TREE_DEPTH
    tree = (DecisionTreeClassifier if classify else DecisionTreeRegressor)(max_depth=depth, random_state=0)
    folds = KFold(LEAK_FOLDS, shuffle=True, random_state=seed)
    predicted = cross_val_predict(tree, encoded, target, cv=folds)
    return float((balanced_accuracy_score if classify else r2_score)(target, predicted))


def find_leaks(
    train: pd.DataFrame, column_types: Mapping[str, str], target: str, task: str, seed: int
) -> dict[str, float]:
    """{column: score} for each input that alone predicts the target almost perfectly on the training
    split (a sample of it, for speed); each is warned about. Tables too small to judge return {}."""
    if len(train) < MIN_LEAK_ROWS:
        return {}
    sample = train.sample(n=min(len(train), LEAK_SAMPLE_ROWS), random_state=seed)
    if task == CLASSIFICATION:
        labels = pd.factorize(as_categories(sample[target]))[0]  # integer codes: trees sort strings slowly
    else:
        labels = sample[target].to_numpy(dtype=float)
    if len(np.unique(labels)) < 2:
        return {}
    leaks = {}
    for column, kind in column_types.items():
        inputs = to_model_columns(sample, {column: kind})
        score = single_column_score(inputs, kind, labels, task, seed)
        if score >= LEAK_SCORE:
            leaks[column] = round(score, 4)
            log.warning(
                "Column %r alone predicts %r almost perfectly on the training split (%s %.4f): it may leak "
                "the target (computed from it, or only known once it is). If it will not be known when the "
                "model is used, add it to data.drop; if it will, pass 'data.keep=[%s]' to silence this.",
                column,
                target,
                "balanced accuracy" if task == CLASSIFICATION else "R²",
                score,
                column,
            )
    return leaks
