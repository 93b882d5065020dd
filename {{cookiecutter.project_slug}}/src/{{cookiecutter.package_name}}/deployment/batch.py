"""Predictions for a whole table or image folder, one output row per input row or file, in order.

An example that cannot be scored keeps its row, with the reason in `error` and no prediction.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.image_files import UnreadableImageError, open_image
from ..data.tabular_io import read_table
from .predictor import Predictor


def predict_table(predictor: Predictor, source: Path, batch_size: int) -> pd.DataFrame:
    frame = read_table(source, setting="input").reset_index(drop=True)
    table = predictor.inputs()
    table.check_columns(list(frame.columns))
    problems = table.row_problems(frame)
    scorable = [row for row, problem in enumerate(problems) if problem is None]
    inputs = table.transform(frame.iloc[scorable]) if scorable else np.empty((0, 0), np.float32)
    warnings = table.unseen_categories(frame)
    notes = ["; ".join(row_notes) or None for row_notes in warnings]
    return with_predictions(frame, predictor, inputs, scorable, problems, batch_size, notes)


def predict_images(predictor: Predictor, source: Path, batch_size: int, max_pixels: int) -> pd.DataFrame:
    if not source.is_dir():
        raise FileNotFoundError(
            f"input={source} is not a folder: pass a folder of images (sub-folders are searched too)."
        )
    files = sorted(path for path in source.rglob("*") if path.is_file() and not path.name.startswith("."))
    if not files:
        raise FileNotFoundError(f"input={source} holds no files: pass the folder of images to predict.")
    images = predictor.inputs()
    arrays, scorable, problems = [], [], []
    for row, path in enumerate(files):
        try:
            arrays.append(images.to_array(open_image(path, max_pixels)))
            scorable.append(row)
            problems.append(None)
        except (UnreadableImageError, OSError) as error:
            problems.append(f"not a readable image: {error}")
    frame = pd.DataFrame({"file": [path.relative_to(source).as_posix() for path in files]})
    inputs = np.stack(arrays) if arrays else np.empty((0, 0), np.float32)
    return with_predictions(frame, predictor, inputs, scorable, problems, batch_size, [None] * len(files))


def with_predictions(
    frame: pd.DataFrame,
    predictor: Predictor,
    inputs: np.ndarray,
    scorable: Sequence[int],
    problems: list[str | None],
    batch_size: int,
    warnings: list[str | None],
) -> pd.DataFrame:
    """`frame` with the answers for its `scorable` rows (whose model inputs are `inputs`) added."""
    answers: list[dict[str, Any]] = [{} for _ in range(len(frame))]
    problems = list(problems)
    for start in range(0, len(scorable), batch_size):
        outputs, batch_problems = predictor.predict(inputs[start : start + batch_size])
        for row, output, problem in zip(
            scorable[start : start + batch_size], outputs, batch_problems, strict=True
        ):
            if problem:
                problems[row] = problem
            else:
                answers[row] = flatten(predictor.answer(output))
    predictions = pd.DataFrame(answers, columns=prediction_columns(predictor), index=frame.index)
    predictions["warnings"], predictions["error"] = warnings, problems
    clashes = sorted(set(frame.columns) & set(predictions.columns))
    if clashes:
        raise ValueError(
            f"The input already has columns named {clashes}, which the predictions are written to: "
            "rename them in the input."
        )
    return pd.concat([frame, predictions], axis=1)


def prediction_columns(predictor: Predictor) -> list[str]:
    if predictor.is_regression:
        return ["predicted_value"]
    columns = ["predicted_label", *(f"probability_{name}" for name in predictor.class_names)]
    return [*columns, "action"] if predictor.decision is not None else columns


def flatten(answer: dict[str, Any]) -> dict[str, Any]:
    """An API answer as one table row."""
    row = {f"probability_{name}": p for name, p in answer.get("probabilities", {}).items()}
    if "label" in answer:
        row["predicted_label"] = answer["label"]
    if "value" in answer:
        row["predicted_value"] = answer["value"]
    if "action" in answer:
        row["action"] = answer["action"]
    return row
