"""Predictions for a whole table or image folder, one output row per input row or file, in order.

An example that cannot be scored keeps its row, with the reason in `error` and no prediction.
"""

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.image_files import UnreadableImageError, open_image
from ..data.tabular_io import read_table
from ..errors import DataError
from .predictor import Predictor


def predict_table(predictor: Predictor, source: Path, batch_size: int) -> pd.DataFrame:
    frame = read_table(source, setting="input").reset_index(drop=True)
    check_no_clash(list(frame.columns), predictor)
    table = predictor.inputs()
    table.check_columns(list(frame.columns))
    problems = table.row_problems(frame)
    checked = [row for row, problem in enumerate(problems) if not problem]
    inputs, overflows = table.transform(frame.iloc[checked]) if checked else (np.empty((0, 0)), [])
    warnings: list[str | None] = [None] * len(frame)
    for row, notes in zip(checked, table.row_warnings(frame.iloc[checked], inputs), strict=True):
        warnings[row] = "; ".join(notes) or None
    for row, overflow in zip(checked, overflows, strict=True):
        problems[row] = overflow
    scorable = [row for row in checked if not problems[row]]
    inputs = inputs[[not overflow for overflow in overflows]] if checked else inputs
    reasons = ["; ".join(f"{column!r}: {reason}" for column, reason in p.items()) or None for p in problems]
    batches = (
        (scorable[start : start + batch_size], inputs[start : start + batch_size])
        for start in range(0, len(scorable), batch_size)
    )
    return with_predictions(frame, predictor, batches, reasons, warnings)


def predict_images(predictor: Predictor, source: Path, batch_size: int, max_pixels: int) -> pd.DataFrame:
    if not source.is_dir():
        raise DataError(
            f"input={source} is not a folder: pass a folder of images (sub-folders are searched too)."
        )
    # Hidden files and folders (.git/, .ipynb_checkpoints/, macOS's ._photo.jpg) are not inputs.
    files = sorted(
        path
        for path in source.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(source).parts)
    )
    if not files:
        raise DataError(f"input={source} holds no files: pass the folder of images to predict.")
    images = predictor.inputs()
    problems: list[str | None] = [None] * len(files)

    def batches() -> Iterator[tuple[list[int], np.ndarray]]:
        """Decoded a batch at a time: a folder of any size needs the memory of one batch."""
        for start in range(0, len(files), batch_size):
            rows, arrays = [], []
            for row in range(start, min(start + batch_size, len(files))):
                try:
                    arrays.append(images.to_array(open_image(files[row], max_pixels)))
                    rows.append(row)
                except (UnreadableImageError, OSError) as error:
                    problems[row] = f"not a readable image: {error}"
            if rows:
                yield rows, np.stack(arrays)

    frame = pd.DataFrame({"file": [path.relative_to(source).as_posix() for path in files]})
    return with_predictions(frame, predictor, batches(), problems, [None] * len(files))


def with_predictions(
    frame: pd.DataFrame,
    predictor: Predictor,
    batches: Iterable[tuple[list[int], np.ndarray]],
    problems: list[str | None],
    warnings: list[str | None],
) -> pd.DataFrame:
    """`frame` with the answers added: `batches` gives (rows of `frame`, their model inputs); `problems`
    (filled in while the batches are read, for images) holds each row's reason for having no answer."""
    answers: list[dict[str, Any]] = [{} for _ in range(len(frame))]
    for rows, inputs in batches:
        outputs, batch_problems = predictor.predict(inputs)
        for row, output, problem in zip(rows, outputs, batch_problems, strict=True):
            if problem:
                problems[row] = problem
            else:
                answers[row] = flatten(predictor.answer(output))
    predictions = pd.DataFrame(answers, columns=prediction_columns(predictor), index=frame.index)
    predictions["warnings"], predictions["error"] = warnings, problems
    return pd.concat([frame, predictions], axis=1)


def check_no_clash(columns: list[str], predictor: Predictor) -> None:
    """Before any work: the input must not already use the names the predictions are written to."""
    clashes = sorted(set(columns) & {*prediction_columns(predictor), "warnings", "error"})
    if clashes:
        raise DataError(
            f"The input already has columns named {clashes}, which the predictions are written to: "
            "rename them in the input."
        )


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
