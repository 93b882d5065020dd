"""The tabular pipeline: reading, type and task inference, cleaning, splitting, leak-free preprocessing."""

import json

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import tabular_datasets
from {{ cookiecutter.package_name }}.data.features import add_squares
from {{ cookiecutter.package_name }}.data.tabular import TabularDataModule, auto_batch_size
from {{ cookiecutter.package_name }}.data.tabular_cleaning import infer_task
from {{ cookiecutter.package_name }}.data.tabular_preprocessing import (
    TabularPreprocessor,
    build_transformer,
)
from {{ cookiecutter.package_name }}.errors import ConfigError

CLASS_TARGET, VALUE_TARGET = "Segment (tier)", "Lifetime value"
NOT_INPUTS = ["Customer ID", "Notes"]


def customers(path, target=CLASS_TARGET, **options) -> TabularDataModule:
    datamodule = TabularDataModule(
        target=target, path=str(path), drop=options.pop("drop", NOT_INPUTS), **options
    )
    datamodule.setup()
    return datamodule


def test_types_task_and_classes_are_inferred_from_a_messy_csv(customer_csv):
    datamodule = customers(customer_csv)
    assert datamodule.preprocessor.column_types == {
        "Age (years)": "numeric",
        "City": "categorical",
        "Member?": "categorical",
        "Signup date": "datetime",
        "Spend ($)": "numeric",
        VALUE_TARGET: "numeric",
    }
    assert datamodule.preprocessor.task == "classification"
    assert datamodule.preprocessor.classes == ["bronze", "gold", "silver"]
    assert "Signup date_month" in datamodule.preprocessor.feature_names
    assert {"City_Porto", "Member?_True"} <= set(datamodule.preprocessor.feature_names)
    regression = customers(customer_csv, target=VALUE_TARGET, drop=[*NOT_INPUTS, CLASS_TARGET])
    assert regression.preprocessor.task == "regression"
    assert regression.model_arguments()["class_names"] is None


@pytest.mark.parametrize(
    ("values", "task"),
    [
        ([0.5, 1.25, 3.0, 7.5], "regression"),
        ([0, 1, 1, 0], "classification"),
        ([1.0, 2.0, 3.0, 2.0], "classification"),
        (["cat", "dog", "cat", None], "classification"),
        ([True, False, True, True], "classification"),
        (list(range(100)), "regression"),  # whole numbers, but too many distinct values for classes
    ],
)
def test_the_task_is_inferred_from_the_target(values, task):
    assert infer_task(pd.Series(values)) == task


def test_splits_are_seeded_stratified_and_disjoint(customer_csv):
    first, second = (
        customers(customer_csv, sensitive=["Customer ID"]),
        customers(customer_csv, sensitive=["Customer ID"]),
    )
    ids = {name: set(frame["Customer ID"]) for name, frame in first.frames.items()}
    assert not (ids["train"] & ids["val"] or ids["train"] & ids["test"] or ids["val"] & ids["test"])
    assert sum(map(len, ids.values())) == 150
    for name in ids:
        assert ids[name] == set(second.frames[name]["Customer ID"])
    shares = {name: frame[CLASS_TARGET].value_counts(normalize=True) for name, frame in first.frames.items()}
    assert (shares["train"] - shares["test"]).abs().max() < 0.1


def test_sensitive_columns_stay_with_the_rows_but_out_of_the_inputs(customer_csv):
    datamodule = customers(customer_csv, sensitive=["City"])
    assert "City" not in datamodule.preprocessor.column_types
    assert not any(name.startswith("City") for name in datamodule.preprocessor.feature_names)
    assert "City" in datamodule.frames["test"].columns


def test_preprocessing_learns_from_the_training_split_only(customer_csv):
    before = customers(customer_csv, sensitive=["Customer ID"])
    held_out = set(before.frames["val"]["Customer ID"]) | set(before.frames["test"]["Customer ID"])
    table = pd.read_csv(customer_csv)
    rows = table["Customer ID"].isin(held_out)
    table.loc[rows, "Spend ($)"] *= 1000  # extreme values and a new category, only in val and test
    table.loc[rows, "City"] = "Atlantis"
    table.to_csv(customer_csv, index=False)
    after = customers(customer_csv, sensitive=["Customer ID"])
    assert set(after.frames["test"]["Customer ID"]) == set(before.frames["test"]["Customer ID"])
    assert after.preprocessor.state_dict() == before.preprocessor.state_dict()
    train = after.frames["train"]
    spend = after.preprocessor.state["fitted"]["numeric"].index("Spend ($)")
    assert after.preprocessor.state["fitted"]["mean"][spend] == pytest.approx(train["Spend ($)"].mean())


def test_saved_preprocessing_reproduces_identical_model_inputs(customer_csv):
    datamodule = customers(customer_csv, impute={"categorical": "missing"})
    state = json.loads(json.dumps(datamodule.preprocessor.state_dict()))  # through JSON, as saved
    rebuilt = TabularPreprocessor.from_state(state)
    unseen = datamodule.frames["test"].assign(City="Atlantis")  # a category training never saw
    for frame in (datamodule.frames["train"], datamodule.frames["test"], unseen):
        np.testing.assert_array_equal(rebuilt.transform(frame), datamodule.preprocessor.transform(frame))
        np.testing.assert_array_equal(
            rebuilt.encode_target(frame[CLASS_TARGET]),
            datamodule.preprocessor.encode_target(frame[CLASS_TARGET]),
        )
    # The same as scikit-learn's own fitted transformer, not merely self-consistent.
    inputs = datamodule.preprocessor.column_types
    fitted = state["fitted"]
    from {{ cookiecutter.package_name }}.data.tabular_columns import to_model_columns

    original = build_transformer(fitted["numeric"], fitted["categorical"], "median", "missing")
    original.fit(to_model_columns(datamodule.frames["train"], inputs))
    test_inputs = to_model_columns(datamodule.frames["test"], inputs)
    np.testing.assert_array_equal(
        rebuilt.transform(datamodule.frames["test"]), original.transform(test_inputs).astype(np.float32)
    )


def test_missing_values_are_imputed_or_their_rows_dropped_as_configured(customer_csv):
    imputed = customers(customer_csv, impute={"categorical": "missing"})
    assert "City_missing" in imputed.preprocessor.feature_names
    assert not np.isnan(imputed.train_set.tensors[0].numpy()).any()
    dropped = customers(customer_csv, impute={"numeric": "drop", "categorical": "drop"})
    table = pd.read_csv(customer_csv)
    incomplete = int(table[["Age (years)", "City"]].isna().any(axis=1).sum())
    assert dropped.summary["cleaning"]["missing_values_dropped"] == incomplete
    assert dropped.summary["rows"] == len(table) - incomplete


def test_duplicates_and_rows_without_a_target_are_dropped_and_counted(customer_csv, tmp_path):
    table = pd.read_csv(customer_csv)
    table = pd.concat([table, table.head(5)], ignore_index=True)
    table.loc[[10, 11, 12], CLASS_TARGET] = None
    path = tmp_path / "dirty.csv"
    table.to_csv(path, index=False)
    summary = customers(path).summary
    assert summary["cleaning"] == {
        "rows_read": 155,
        "missing_target_dropped": 3,
        "duplicates_dropped": 5,
        "empty_columns_dropped": 0,
        "missing_values_dropped": 0,
    }
    assert summary["rows"] == 147
    assert sum(summary["split_rows"].values()) == 147
    assert summary["columns"]["City"] == {
        "type": "categorical",
        "missing": int(table.drop_duplicates()["City"].isna().sum()),
    }


def test_identifier_and_free_text_columns_left_in_are_pointed_out(customer_csv, caplog):
    customers(customer_csv, drop=["Customer ID"])
    (warning,) = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert "['Notes']" in warning and "data.drop" in warning


def test_column_types_can_be_overridden(customer_csv):
    datamodule = customers(customer_csv, column_types={"Age (years)": "categorical"})
    assert datamodule.preprocessor.column_types["Age (years)"] == "categorical"
    assert any(name.startswith("Age (years)_") for name in datamodule.preprocessor.feature_names)


def test_dates_with_time_zones_and_mixed_offsets_expand(tmp_path):
    table = small_table().assign(when=["2024-03-30T10:00:00+01:00", "2024-04-01T10:00:00+02:00", None] * 10)
    datamodule = TabularDataModule(target="label", path=str(write(tmp_path, table)))
    datamodule.setup()
    assert datamodule.preprocessor.column_types["when"] == "datetime"
    parquet = tmp_path / "zoned.parquet"
    zoned = small_table().assign(when=pd.date_range("2024-03-30", periods=30, freq="12h", tz="Europe/Lisbon"))
    zoned.to_parquet(parquet)
    from_parquet = TabularDataModule(target="label", path=str(parquet))
    from_parquet.setup()
    assert "when_day_of_week" in from_parquet.preprocessor.feature_names


def test_a_feature_function_runs_before_the_split(tmp_path):
    datamodule = TabularDataModule(
        target="target",
        source=tabular_datasets.synthetic_regression,
        feature_fn=lambda f: add_squares(f, ["x2"]),
    )
    datamodule.setup()
    assert datamodule.preprocessor.column_types["x2_squared"] == "numeric"
    train = datamodule.frames["train"]
    np.testing.assert_allclose(train["x2_squared"], train["x2"] ** 2)


def test_parquet_reads_like_csv(customer_csv, tmp_path):
    parquet = tmp_path / "customers.parquet"
    pd.read_csv(customer_csv).to_parquet(parquet)
    assert customers(parquet).preprocessor.state_dict() == customers(customer_csv).preprocessor.state_dict()


def test_bundled_tables_work_offline():
    assert tabular_datasets.diabetes().shape == (442, 11)
    assert sorted(tabular_datasets.breast_cancer()["target"].unique()) == ["benign", "malignant"]
    synthetic = tabular_datasets.synthetic_regression(rows=2000, noise=0.0)
    expected = 3 * synthetic.x0 - 2 * synthetic.x1 + synthetic.x2**2
    np.testing.assert_allclose(synthetic.target, expected)


def write(tmp_path, frame: pd.DataFrame, name: str = "table.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def small_table(rows: int = 30) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(rows, dtype=float), "label": ["a", "b", "c"] * (rows // 3)})


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing_file", "no such file"),
        ("folder", "a folder, not a file"),
        ("extension", "supported: .csv"),
        ("unreadable", "not a readable PARQUET file"),
        ("no_target_column", "is not a column of the table. Its columns: ['x', 'label']"),
        ("empty_target", "is empty in every row"),
        ("too_few_rows", "too few to give train, val and test"),
        ("text_regression", "needs a numeric target, but 'label' holds values such as ['a', 'b', 'c']"),
        ("rare_class", "Classes {'z': 2} have fewer than 3 rows"),
        ("unknown_drop", "data.drop names ['id'], which the table does not have"),
        ("unknown_keep", "data.keep names ['id'], which the table does not have"),
        ("keep_and_drop", "data.keep names ['x'], which data.drop or data.sensitive also name"),
        ("bad_impute", "data.impute.numeric='zero': choose one of ['median', 'mean', 'drop']"),
        ("bad_type", "each type must be one of"),
        ("no_source", "Set data.path to your CSV or Parquet file"),
        ("stray_text", "Column 'x' holds numbers except for ['-']"),
        ("stray_text_target", "Column 'label' holds numbers except for ['?']"),
    ],
)
def test_bad_input_gets_an_error_that_names_the_problem(tmp_path, case, message):
    options = {"target": "label", "path": str(write(tmp_path, small_table()))}
    if case == "missing_file":
        options["path"] = str(tmp_path / "nope.csv")
    elif case == "folder":
        options["path"] = str(tmp_path)
    elif case == "extension":
        options["path"] = str(write(tmp_path, small_table(), "table.xlsx"))
    elif case == "unreadable":
        (tmp_path / "broken.parquet").write_text("not parquet")
        options["path"] = str(tmp_path / "broken.parquet")
    elif case == "no_target_column":
        options["target"] = "price"
    elif case == "empty_target":
        options["path"] = str(write(tmp_path, small_table().assign(label=None)))
    elif case == "too_few_rows":
        options["path"] = str(write(tmp_path, small_table(6)))
    elif case == "text_regression":
        options["task"] = "regression"
    elif case == "rare_class":
        table = small_table()
        table.loc[[0, 1], "label"] = "z"
        options["path"] = str(write(tmp_path, table))
    elif case == "unknown_drop":
        options["drop"] = ["id"]
    elif case == "unknown_keep":
        options["keep"] = ["id"]
    elif case == "keep_and_drop":
        options.update(keep=["x"], drop=["x"])
    elif case == "bad_impute":
        options["impute"] = {"numeric": "zero"}
    elif case == "bad_type":
        options["column_types"] = {"x": "text"}
    elif case == "no_source":
        options.pop("path")
    elif case == "stray_text":
        options["path"] = str(write(tmp_path, small_table().astype({"x": object}).replace({"x": {3.0: "-"}})))
    elif case == "stray_text_target":
        table = small_table().assign(label=[str(i % 7 + 0.5) for i in range(30)])
        table.loc[4, "label"] = "?"
        options["path"] = str(write(tmp_path, table))
    with pytest.raises((ValueError, FileNotFoundError)) as error:
        TabularDataModule(**options).setup()
    assert message in str(error.value)


def test_numeric_inputs_come_first_as_the_embeddings_expect(customer_csv):
    """Piecewise-linear embeddings bin the first len(fitted numeric) inputs: they must be the numbers."""
    preprocessor = customers(customer_csv).preprocessor
    numeric = preprocessor.state_dict()["fitted"]["numeric"]
    assert {"Age (years)", "Spend ($)"} <= set(numeric)
    assert preprocessor.feature_names[: len(numeric)] == numeric


@pytest.mark.parametrize(
    ("train_rows", "batch"), [(10, 32), (700, 32), (3_000, 256), (26_000, 1024), (10**6, 1024)]
)
def test_an_auto_batch_gives_about_sixteen_steps_an_epoch_within_bounds(train_rows, batch):
    assert auto_batch_size(train_rows) == batch


def test_the_batch_size_is_auto_by_default_and_resolved_once_the_table_is_split(customer_csv):
    datamodule = customers(customer_csv)
    assert datamodule.batch_size == auto_batch_size(len(datamodule.train_set)) == 32
    assert customers(customer_csv, batch_size=8).batch_size == 8


@pytest.mark.parametrize("batch_size", [0, "big", 2.5])
def test_a_batch_size_that_is_not_a_whole_number_or_auto_is_refused(customer_csv, batch_size):
    refusal = f"data.batch_size={batch_size!r}: give a whole number of rows, or auto"
    with pytest.raises(ConfigError, match=refusal):
        customers(customer_csv, batch_size=batch_size)
