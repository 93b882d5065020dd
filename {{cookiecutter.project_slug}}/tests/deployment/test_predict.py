"""Batch prediction with a model bundle: the answers eval gives, and no row or file silently dropped."""

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_breast_cancer, load_digits
from tests.conftest import best_checkpoint_of, train_tiny
from tests.deployment.conftest import export_bundle

from {{ cookiecutter.package_name }}.data.digits import MAX_PIXEL_VALUE, DigitsDataModule
from {{ cookiecutter.package_name }}.data.image_files import NOT_AN_IMAGE
from {{ cookiecutter.package_name }}.deployment.bundle import load_model, read_json
from {{ cookiecutter.package_name }}.deployment.feature_recipes import feature_recipe
from {{ cookiecutter.package_name }}.errors import DataError
from {{ cookiecutter.package_name }}.eval import evaluate
from {{ cookiecutter.package_name }}.predict import predict

INPUT_PREFIX = "input: "  # eval's test_predictions.csv prefixes the test rows' columns


def run_predict(make_config, bundle: Path, source: Path, output: Path, *overrides: str) -> pd.DataFrame:
    predict(make_config("predict", f"model_dir={bundle}", f"input={source}", f"output={output}", *overrides))
    return pd.read_csv(output, dtype={"predicted_label": str})


@pytest.fixture(scope="module")
def evaluated(tabular_checkpoint, tmp_path_factory) -> tuple[dict, pd.DataFrame]:
    """eval's metrics on the whole test split, and its test_predictions.csv."""
    from {{ cookiecutter.package_name }}.config import compose_run_config

    overrides = ["experiment=tabular_breast_cancer", f"ckpt_path={tabular_checkpoint}", "trainer=cpu"]
    cfg = compose_run_config(
        "eval", [*overrides, "callbacks.rich_progress_bar=null"], tmp_path_factory.mktemp("logs")
    )
    metrics = evaluate(cfg)
    return metrics, pd.read_csv(Path(cfg.paths.output_dir) / "test_predictions.csv")


def test_predictions_on_the_test_split_reproduce_eval(make_config, tabular_bundle, evaluated, tmp_path):
    metrics, eval_predictions = evaluated
    rows = eval_predictions[[c for c in eval_predictions if c.startswith(INPUT_PREFIX)] + ["target"]]
    rows.columns = [c.removeprefix(INPUT_PREFIX) for c in rows.columns]
    rows.to_csv(tmp_path / "test_rows.csv", index=False)

    for runtime in ("onnx", "torch"):
        output = tmp_path / f"{runtime}.csv"
        predicted = run_predict(
            make_config, tabular_bundle, tmp_path / "test_rows.csv", output, f"runtime={runtime}"
        )
        assert len(predicted) == len(rows) and predicted["error"].isna().all()
        assert list(predicted.columns[: len(rows.columns)]) == list(rows.columns)  # inputs kept, in order
        accuracy = (predicted["predicted_label"] == predicted["target"]).mean()
        assert accuracy == pytest.approx(metrics["test/acc"], abs=1e-6)
        for name in ("benign", "malignant"):
            assert np.allclose(predicted[f"probability_{name}"], eval_predictions[f"p({name})"], atol=1e-4)
    policy = read_json(tabular_bundle / "decision.json")
    acts = predicted["probability_malignant"] >= policy["threshold"]
    assert (predicted["action"] == np.where(acts, "treat as malignant", "treat as benign")).all()


def test_rows_that_cannot_be_scored_keep_their_place_with_the_reason(make_config, tabular_bundle, tmp_path):
    rows = load_breast_cancer(as_frame=True).data.head(6).astype(object)
    rows.insert(0, "patient", [f"p{i}" for i in range(6)])
    rows.loc[1, "mean radius"] = "twelve"
    rows.loc[2, "mean texture"] = float("inf")
    rows.loc[3, "worst area"] = 1e308  # finite, but scaled beyond float32: no finite prediction
    rows.loc[4, "mean area"] = None  # missing: filled as in training, still scored
    rows.to_csv(tmp_path / "rows.csv", index=False)
    predicted = run_predict(make_config, tabular_bundle, tmp_path / "rows.csv", tmp_path / "out.csv")
    assert list(predicted["patient"]) == [f"p{i}" for i in range(6)]
    errors = predicted["error"].fillna("")
    assert "'mean radius': 'twelve' is not a finite number" in errors[1]
    assert "'mean texture': inf is not a finite number" in errors[2]
    assert "too far outside the training data's range" in errors[3]
    assert predicted.loc[[0, 4, 5], "error"].isna().all()
    assert predicted.loc[[0, 4, 5], "predicted_label"].isin(["benign", "malignant"]).all()
    assert predicted.loc[[1, 2, 3], "predicted_label"].isna().all()


def test_a_table_without_the_model_columns_is_refused_with_the_list(make_config, tabular_bundle, tmp_path):
    pd.DataFrame({"mean radius": [1.0]}).to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(
        ValueError, match=r"lacks the model's columns \['mean texture', .*empty cells are allowed"
    ):
        run_predict(make_config, tabular_bundle, tmp_path / "rows.csv", tmp_path / "out.csv")
    with pytest.raises(DataError, match=r"input=.*missing.csv cannot be read \(no such file\)"):
        run_predict(make_config, tabular_bundle, tmp_path / "missing.csv", tmp_path / "out.csv")


def test_outputs_are_checked_before_any_work(make_config, tabular_bundle, tmp_path):
    rows = load_breast_cancer(as_frame=True).data.head(3)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(ValueError, match="is the input file: choose another name"):
        run_predict(make_config, tabular_bundle, tmp_path / "rows.csv", tmp_path / "rows.csv")
    with pytest.raises(ValueError, match=r"output=.*out.xlsx: write predictions to .csv or .parquet"):
        run_predict(make_config, tabular_bundle, tmp_path / "rows.csv", tmp_path / "out.xlsx")
    rows.assign(error="mine").to_csv(tmp_path / "clash.csv", index=False)
    with pytest.raises(ValueError, match=r"already has columns named \['error'\]"):
        run_predict(make_config, tabular_bundle, tmp_path / "clash.csv", tmp_path / "out.csv")
    predict(
        make_config(
            "predict",
            f"model_dir={tabular_bundle}",
            f"input={tmp_path / 'rows.csv'}",
            f"output={tmp_path / 'p.parquet'}",
        )
    )
    assert len(pd.read_parquet(tmp_path / "p.parquet")) == 3


def test_an_image_folder_is_predicted_as_in_training_and_bad_files_are_listed(
    make_config, digits_bundle, tmp_path
):
    digits = load_digits()
    folder = tmp_path / "images"
    (folder / "more").mkdir(parents=True)
    for index in range(40):
        pixels = np.round(digits.images[index] / MAX_PIXEL_VALUE * 255).astype(np.uint8)
        Image.fromarray(pixels, mode="L").save(folder / ("more" if index % 2 else ".") / f"{index:02d}.png")
    (folder / "notes.png").write_text("not an image")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "00-checkpoint.png").write_bytes(b"hidden: never an input")
    (folder / "empty.jpg").write_bytes(b"")
    png = (folder / "00.png").read_bytes()
    (folder / "truncated.png").write_bytes(png[: len(png) // 2])

    predicted = run_predict(make_config, digits_bundle, folder, tmp_path / "out.csv")
    assert len(predicted) == 43
    errors = predicted.set_index("file")["error"]
    assert errors["notes.png"] == f"not a readable image: {NOT_AN_IMAGE}"
    assert errors["empty.jpg"] == "not a readable image: the file is empty"
    assert "damaged" in errors["truncated.png"]
    scored = predicted[predicted["error"].isna()].copy()
    scored["index"] = scored["file"].str.extract(r"(\d+)\.png$")[0].astype(int)
    assert sorted(scored["index"]) == list(range(40))

    # The same digits through the training pipeline, in PyTorch: the same classes, nearly the same numbers.
    model = load_model(digits_bundle)
    schema = read_json(digits_bundle / "input_schema.json")["preprocessing"]
    datamodule = DigitsDataModule(image_size=schema["image_size"])
    raw = torch.tensor(digits.images[scored["index"].to_numpy()], dtype=torch.float32)
    inputs = (datamodule._to_network_input(raw) - schema["mean"]) / schema["std"]
    with torch.no_grad():
        expected = model.predictions(model(inputs)).numpy()
    probabilities = scored[[f"probability_{i}" for i in range(10)]].to_numpy()
    assert np.abs(probabilities - expected).max() < 0.02  # PNG pixels are rounded to 1/255
    assert (scored["predicted_label"].to_numpy() == expected.argmax(axis=1).astype(str)).all()


def test_a_feature_function_travels_in_the_bundle_as_a_name(make_config, customer_csv, tmp_path):
    function = "{{ cookiecutter.package_name }}.data.features.add_log1p"
    feature_fn = "{_target_:" + function + ",_partial_:true,columns:['Spend ($)']}"
    data = ["experiment=tabular", f"data.path={customer_csv}", "data.target='Segment (tier)'"]
    # An input here (not dropped as an identifier), so that the test predictions name each row by it.
    data += [f"data.feature_fn={feature_fn}", "data.keep=['Customer ID']"]
    checkpoint = best_checkpoint_of(train_tiny(data, tmp_path / "logs"))
    bundle = export_bundle(checkpoint, data, tmp_path / "logs")
    schema = read_json(bundle / "input_schema.json")
    assert schema["features"] == {"function": "add_log1p", "arguments": {"columns": ["Spend ($)"]}}
    assert "log1p_Spend ($)" not in [column["name"] for column in schema["columns"]]  # derived, not sent

    predicted = run_predict(make_config, bundle, customer_csv, tmp_path / "out.csv").set_index("Customer ID")
    assert predicted["error"].isna().all()
    tested = pd.read_csv(checkpoint.parent.parent / "test_predictions.csv").set_index("input: Customer ID")
    for name in ("bronze", "gold", "silver"):
        assert np.allclose(
            predicted.loc[tested.index, f"probability_{name}"], tested[f"p({name})"], atol=1e-4
        )


def test_only_the_projects_feature_functions_can_travel():
    with pytest.raises(
        ValueError, match=r"data.feature_fn=builtins.len cannot be exported: .*data/features.py"
    ):
        feature_recipe(functools.partial(len))


def test_an_index_column_is_not_an_input_from_training_to_prediction(make_config, customer_csv, tmp_path):
    indexed = tmp_path / "indexed.csv"
    pd.read_csv(customer_csv).to_csv(indexed)  # pandas' default: the row index too, as `Unnamed: 0`
    data = ["experiment=tabular", f"data.path={indexed}", "data.target='Segment (tier)'", "data.drop=[Notes]"]
    last = train_tiny(data, tmp_path / "logs")
    bundle = export_bundle(best_checkpoint_of(last), data, tmp_path / "logs")
    columns = list(read_json(last.parent.parent / "data_summary.json")["columns"])
    assert [column["name"] for column in read_json(bundle / "input_schema.json")["columns"]] == columns
    # The file still has the index: it is carried through, like any column the model does not use.
    predicted = run_predict(make_config, bundle, indexed, tmp_path / "predictions.csv")
    assert predicted["error"].isna().all()
    assert predicted["Unnamed: 0"].tolist() == list(range(len(predicted)))
