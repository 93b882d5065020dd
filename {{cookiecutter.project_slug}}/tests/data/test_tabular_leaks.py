"""Row indexes and identifiers are dropped, and a column that alone predicts the target is pointed out."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import tabular_datasets
from {{ cookiecutter.package_name }}.data.tabular import TabularDataModule
from {{ cookiecutter.package_name }}.data.tabular_leaks import is_identifier_name

ROWS = 300


def measurements(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """Honest inputs: a whole-number `age` and unique floats, a noisy target learnable from both."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, rows)
    reading = rng.normal(0.0, 1.0, rows)  # a different value in every row, and a real feature
    return pd.DataFrame({"age": age, "reading": reading, "y": age / 10 + reading + rng.normal(0, 1, rows)})


def set_up(frame: pd.DataFrame, tmp_path, target: str = "y", index: bool = False, **options):
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=index)
    datamodule = TabularDataModule(target=target, path=str(path), **options)
    datamodule.setup()
    return datamodule


def warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]


def test_a_pandas_index_column_is_dropped_with_a_warning_and_recorded(tmp_path, caplog):
    frame = measurements()
    repeated = pd.concat([frame, frame.head(10)], ignore_index=True)  # to_csv numbers the copies apart
    datamodule = set_up(repeated, tmp_path, index=True)
    assert list(datamodule.preprocessor.column_types) == ["age", "reading"]
    assert "Unnamed: 0" in datamodule.summary["dropped_columns"]
    assert "no header" in datamodule.summary["dropped_columns"]["Unnamed: 0"]
    # Without the index, the repeated rows are recognised as the duplicates they are.
    assert datamodule.summary["cleaning"]["duplicates_dropped"] == 10
    (warning,) = warnings(caplog)
    assert "'Unnamed: 0'" in warning and "to_csv without index=False" in warning
    assert "data.keep=[Unnamed: 0]" in warning


def test_a_column_counting_the_rows_is_dropped_but_an_integer_feature_is_not(tmp_path, caplog):
    frame = measurements().assign(row=np.arange(1, ROWS + 1))
    datamodule = set_up(frame, tmp_path)
    assert list(datamodule.summary["dropped_columns"]) == ["row"]
    assert "counts the rows (1, 2, 3, ...)" in datamodule.summary["dropped_columns"]["row"]
    assert "age" in datamodule.preprocessor.column_types
    assert len(warnings(caplog)) == 1


@pytest.mark.parametrize("name", ["id", "ID", "customer_id", "CustomerID", "PassengerId", "uuid", "Order No"])
def test_an_identifier_column_is_dropped(tmp_path, name):
    values = [f"c-{row:04d}" for row in range(ROWS)] if name == "uuid" else np.arange(5000, 5000 + ROWS)
    datamodule = set_up(measurements().assign(**{name: values}), tmp_path)
    assert list(datamodule.summary["dropped_columns"]) == [name]
    assert name not in datamodule.preprocessor.column_types


@pytest.mark.parametrize("name", ["paid", "valid", "video", "idea_count", "number"])
def test_names_that_only_contain_id_are_not_identifiers(name):
    assert not is_identifier_name(name)


def test_unique_floats_and_repeated_ids_are_kept(tmp_path, caplog):
    frame = measurements().assign(
        sensor_id=np.arange(ROWS) % 7,  # named like one, but shared by rows: a category of sensors
        measurement_id=np.linspace(0.5, 99.5, ROWS),  # unique, but fractional: a measurement
    )
    datamodule = set_up(frame, tmp_path)
    assert datamodule.summary["dropped_columns"] == {}
    assert {"reading", "sensor_id", "measurement_id"} <= set(datamodule.preprocessor.column_types)
    assert warnings(caplog) == []


def test_data_keep_keeps_a_flagged_column_without_a_warning(tmp_path, caplog):
    datamodule = set_up(measurements().assign(customer_id=np.arange(ROWS)), tmp_path, keep=["customer_id"])
    assert "customer_id" in datamodule.preprocessor.column_types
    assert datamodule.summary["dropped_columns"] == {}
    assert warnings(caplog) == []


def test_explicit_features_are_used_as_given(tmp_path):
    frame = measurements().assign(customer_id=np.arange(ROWS))
    datamodule = set_up(frame, tmp_path, features=["customer_id", "age"])
    assert list(datamodule.preprocessor.column_types) == ["customer_id", "age"]


@pytest.mark.parametrize(
    ("target", "leak", "values"),
    [
        ("y", "y_rounded", lambda frame: frame["y"].round(2)),  # a copy of a numeric target
        ("label", "refund", lambda frame: np.where(frame["label"] == "churned", "issued", None)),
    ],
)
def test_a_column_that_alone_predicts_the_target_is_warned_about_but_kept(
    tmp_path, caplog, target, leak, values
):
    frame = measurements()
    frame["label"] = np.where(frame["y"] > frame["y"].median(), "churned", "stayed")
    if target == "y":
        frame = frame.drop(columns="label")
    frame[leak] = values(frame)
    datamodule = set_up(frame, tmp_path, target=target, drop=["y"] if target == "label" else [])
    assert leak in datamodule.preprocessor.column_types
    assert list(datamodule.summary["possible_leaks"]) == [leak]
    assert datamodule.summary["possible_leaks"][leak] >= 0.99
    (warning,) = warnings(caplog)
    assert f"Column {leak!r} alone predicts {target!r} almost perfectly" in warning
    caplog.clear()
    kept = set_up(frame, tmp_path, target=target, drop=["y"] if target == "label" else [], keep=[leak])
    assert kept.summary["possible_leaks"] == {}
    assert warnings(caplog) == []


@pytest.mark.parametrize("source", [tabular_datasets.breast_cancer, tabular_datasets.diabetes])
def test_the_bundled_tables_raise_no_suspicion(source, caplog):
    datamodule = TabularDataModule(target="target", source=source)
    datamodule.setup()
    assert datamodule.summary["dropped_columns"] == {}
    assert datamodule.summary["possible_leaks"] == {}
    assert warnings(caplog) == []
