"""A table (your CSV or Parquet file, or a bundled dataset) as train/val/test tensors for an MLP.

The pipeline, in order: read -> clean (drop rows without a target, duplicates, and rows with gaps where
the policy is `drop`) -> your feature function -> split (stratified for classes, seeded) -> fit the
preprocessing on the training rows only -> transform all three splits. Configured in
`configs/data/tabular.yaml`; nothing here needs editing for a new table.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch.utils.data import TensorDataset

from ..errors import CheckpointError, ConfigError, DataError
from .base import SplitDataModule
from .splits import random_split, stratified_split
from .tabular_cleaning import CleanTable, clean_table
from .tabular_columns import as_categories
from .tabular_io import read_table
from .tabular_leaks import find_leaks
from .tabular_preprocessing import CLASSIFICATION, TabularPreprocessor

SPLITS = ("train", "val", "test")
MIN_ROWS_PER_CLASS = 3  # one for each split
AUTO = "auto"
# batch_size=auto: about 16 batches per epoch, as a power of two within these bounds. A table's step is tiny
# and its cost mostly fixed, so fewer, larger batches train an epoch in a fraction of the time; 16 steps
# still give a learning-rate schedule room to warm up and anneal on a few hundred rows.
AUTO_BATCHES_PER_EPOCH = 16
AUTO_BATCH_RANGE = (32, 1024)


def auto_batch_size(train_rows: int) -> int:
    """The batch size `batch_size=auto` gives for `train_rows` training rows."""
    low, high = AUTO_BATCH_RANGE
    power = round(math.log2(max(train_rows / AUTO_BATCHES_PER_EPOCH, 1)))
    return int(min(max(2**power, low), high))


class TabularDataModule(SplitDataModule):
    """Set exactly one of `path` (a CSV or Parquet file) and `source` (a function returning a DataFrame).

    `preprocessing` is a saved preprocessing state (from a checkpoint): given, it is used instead of
    fitting a new one, so evaluation transforms the data exactly as training did. `batch_size="auto"`
    chooses it from the number of training rows (`auto_batch_size`) once the table is split.
    """

    kind = "table"

    def __init__(
        self,
        target: str,
        path: str | None = None,
        source: Callable[[], pd.DataFrame] | None = None,
        task: str | None = None,
        features: Sequence[str] | None = None,
        drop: Sequence[str] | None = None,
        keep: Sequence[str] | None = None,
        sensitive: Sequence[str] | None = None,
        column_types: Mapping[str, str] | None = None,
        impute: Mapping[str, str] | None = None,
        feature_fn: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        split_seed: int = 42,
        batch_size: int | str = AUTO,
        num_workers: int = 0,
        pin_memory: bool = False,
        preprocessing: Mapping[str, Any] | None = None,
    ) -> None:
        if batch_size != AUTO and not (isinstance(batch_size, int) and batch_size >= 1):
            raise ConfigError(f"data.batch_size={batch_size!r}: give a whole number of rows, or auto.")
        super().__init__(batch_size, num_workers, pin_memory)
        if (path is None) == (source is None):
            raise ConfigError(
                "Set data.path to your CSV or Parquet file (or use a bundled table such as data=diabetes); "
                "a table needs exactly one of data.path and data.source."
            )
        self.path = path
        self.source = source
        self.target = target
        self.task = task
        self.features = list(features) if features else None
        self.drop = list(drop or [])
        self.keep = list(keep or [])
        self.sensitive = list(sensitive or [])
        self.column_types = dict(column_types or {})
        self.impute = dict(impute or {})
        self.feature_fn = feature_fn
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.split_seed = split_seed
        self.saved_preprocessing = dict(preprocessing) if preprocessing else None
        self.preprocessor: TabularPreprocessor | None = None
        # The clean rows of each split, every column kept (the sensitive ones for fairness analysis).
        self.frames: dict[str, pd.DataFrame] = {}
        self.read_columns: list[str] = []  # the table's columns as read, before the feature function
        self.summary: dict[str, Any] = {}

    def load(self) -> pd.DataFrame:
        return read_table(self.path) if self.path is not None else self.source()

    def setup(self, stage: str | None = None) -> None:
        if self.preprocessor is not None:
            return
        read = self.load()
        self.read_columns = list(read.columns)
        table = clean_table(
            read,
            self.target,
            task=self.task,
            features=self.features,
            drop=self.drop,
            sensitive=self.sensitive,
            column_types=self.column_types,
            impute=self.impute,
            feature_fn=self.feature_fn,
            keep=self.keep,
        )
        indices = self._split(table)
        self.frames = {
            name: table.frame.iloc[rows].reset_index(drop=True)
            for name, rows in zip(SPLITS, indices, strict=True)
        }
        self.preprocessor = self._preprocessor(table)
        self.train_set, self.val_set, self.test_set = (self._tensors(self.frames[name]) for name in SPLITS)
        if self.batch_size == AUTO:
            self.batch_size = auto_batch_size(len(self.train_set))
        # Kept columns were looked at on purpose: they are neither dropped nor warned about.
        checked = {column: kind for column, kind in table.column_types.items() if column not in self.keep}
        leaks = find_leaks(self.frames["train"], checked, self.target, table.task, self.split_seed)
        self.summary = self._summarise(table, leaks)

    def _split(self, table: CleanTable) -> tuple[list[int], list[int], list[int]]:
        rows = len(table.frame)
        smallest_split = min(
            self.val_fraction, self.test_fraction, 1 - self.val_fraction - self.test_fraction
        )
        if rows * smallest_split < 1:
            raise DataError(
                f"Only {rows} rows are left after cleaning ({self._cleaning_note(table)}): too few to give "
                f"train, val and test (data.val_fraction={self.val_fraction}, "
                f"data.test_fraction={self.test_fraction}) at least one row each. Add rows or check the "
                "cleaning options."
            )
        if table.task != CLASSIFICATION:
            return random_split(rows, self.val_fraction, self.test_fraction, self.split_seed)
        labels = as_categories(table.frame[self.target])
        counts = labels.value_counts()
        rare = counts[counts < MIN_ROWS_PER_CLASS]
        if len(rare):
            shown = dict(list(rare.items())[:10])
            more = f" and {len(rare) - len(shown)} more" if len(rare) > len(shown) else ""
            raise DataError(
                f"Classes {shown}{more} have fewer than {MIN_ROWS_PER_CLASS} rows, too few for a stratified "
                "train/val/test split. Collect more rows for them, merge them into a broader class, or "
                "remove them from the table."
            )
        return stratified_split(labels.tolist(), self.val_fraction, self.test_fraction, self.split_seed)

    @staticmethod
    def _cleaning_note(table: CleanTable) -> str:
        return ", ".join(f"{name.replace('_', ' ')}: {count}" for name, count in table.counts.items())

    def _preprocessor(self, table: CleanTable) -> TabularPreprocessor:
        if self.saved_preprocessing is None:
            return TabularPreprocessor.fit(
                self.frames["train"],
                table.column_types,
                self.target,
                table.task,
                classes=table.classes,
                numeric_impute=table.impute["numeric"],
                categorical_impute=table.impute["categorical"],
            )
        saved = TabularPreprocessor.from_state(self.saved_preprocessing)
        if (saved.target, saved.column_types) != (self.target, table.column_types):
            raise CheckpointError(
                f"The checkpoint predicts {saved.target!r} from {list(saved.column_types)}, but this data "
                f"gives {self.target!r} from {list(table.column_types)}: leave out the data options that "
                "differ from training (a checkpoint in its run directory brings the run's own), or keep a "
                "column now dropped as a row index or identifier with data.keep=[...]."
            )
        return saved

    def _tensors(self, frame: pd.DataFrame) -> TensorDataset:
        inputs = torch.tensor(self.preprocessor.transform(frame))
        targets = torch.tensor(self.preprocessor.encode_target(frame[self.target]))
        return TensorDataset(inputs, targets)

    def class_counts(self) -> list[int] | None:
        """Training rows per class, in class order (for class weights); None for regression."""
        if self.preprocessor.task != CLASSIFICATION:
            return None
        labels = self.train_set.tensors[1]
        return torch.bincount(labels, minlength=len(self.preprocessor.classes)).tolist()

    def model_arguments(self) -> dict[str, Any]:
        self.setup()
        return {
            "input_size": self.preprocessor.num_features,
            "task": self.preprocessor.task,
            "class_names": self.preprocessor.classes,
            "class_counts": self.class_counts(),
            "preprocessing": self.preprocessor.state_dict(),
            # The training inputs as the network sees them, for what a model fits to them before training
            # (the bin edges of piecewise-linear embeddings); models keep only what they fit.
            "train_inputs": self.train_set.tensors[0],
        }

    def source_name(self) -> str:
        """A bundled table's name: its loader's module and function."""
        function = getattr(self.source, "func", self.source)  # a Hydra `_partial_` is a functools.partial
        return f"{function.__module__}.{function.__qualname__}"

    def description(self) -> dict[str, Any]:
        """Adds the `summary` (source, columns, cleaning counts, target distribution), the fitted
        `preprocessing` (its column types, target, task and categories) and the columns as read."""
        return {
            **super().description(),
            "summary": self.summary,
            "preprocessing": self.preprocessor.state_dict(),
            "read_columns": self.read_columns,
        }

    def test_examples(self) -> pd.DataFrame:
        """The test rows as read (sensitive columns included), without the target."""
        return self.frames["test"].drop(columns=[self.target])

    def _summarise(self, table: CleanTable, leaks: dict[str, float]) -> dict[str, Any]:
        frame = table.frame
        target = frame[self.target]
        if table.task == CLASSIFICATION:
            distribution = as_categories(target).value_counts().sort_index().to_dict()
        else:
            distribution = {key: float(value) for key, value in target.describe().items()}
        return {
            "source": str(Path(self.path).resolve()) if self.path else self.source_name(),
            "target": self.target,
            "task": table.task,
            "rows": len(frame),
            "cleaning": table.counts,
            "dropped_columns": table.dropped,  # row indexes and identifiers: {column: why}
            "possible_leaks": leaks,  # {column: its score alone on the training split}
            "columns": {
                column: {"type": kind, "missing": int(frame[column].isna().sum())}
                for column, kind in table.column_types.items()
            },
            "sensitive": self.sensitive,
            "target_distribution": distribution,
            "split_rows": {name: len(self.frames[name]) for name in SPLITS},
            "model_inputs": self.preprocessor.num_features,
        }
