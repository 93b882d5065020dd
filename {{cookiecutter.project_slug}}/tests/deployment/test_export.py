"""Model bundles: safe formats only, ONNX agreeing with PyTorch, and a clear refusal when it does not."""

import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from safetensors.torch import load_file
from tests.conftest import best_checkpoint_of

from {{ cookiecutter.package_name }}.config import compose_run_config
from {{ cookiecutter.package_name }}.deployment.bundle import load_model, read_config
from {{ cookiecutter.package_name }}.errors import CheckpointError, OutputError
from {{ cookiecutter.package_name }}.export import export
from {{ cookiecutter.package_name }}.models.tabular_mlp import TabularMLP

BUNDLE_FILES = {
    "model.safetensors",
    "model.onnx",
    "model_config.json",
    "input_schema.json",
    "export_report.json",
    "metrics.json",
    "MODEL_CARD.md",
}
PICKLE_PROTOCOL_2_OR_LATER = b"\x80"  # every pickle since protocol 2 starts with the PROTO opcode


def export_tabular(make_config, checkpoint: Path, output_dir: Path, *overrides: str) -> Path:
    cfg = make_config(
        "export",
        "experiment=tabular_breast_cancer",
        f"ckpt_path={checkpoint}",
        f"output_dir={output_dir}",
        *overrides,
    )
    return export(cfg)


def test_a_tabular_bundle_holds_safe_files_that_predict_like_the_checkpoint(
    make_config, tabular_checkpoint, tmp_path
):
    checkpoint = best_checkpoint_of(tabular_checkpoint)
    bundle = export_tabular(make_config, checkpoint, tmp_path / "bundle")
    decision = {"decision.json", "expected_cost.png"}  # a binary classifier's
    assert BUNDLE_FILES | {"preprocessing.json"} | decision == {path.name for path in bundle.iterdir()}
    for path in bundle.iterdir():
        assert not path.read_bytes().startswith(PICKLE_PROTOCOL_2_OR_LATER), f"{path.name} looks pickled"
    report = json.loads((bundle / "export_report.json").read_text())
    assert report["max_abs_difference"] <= report["tolerance"] == 1e-4
    assert report["parity_examples"] > 1

    original = TabularMLP.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True).eval()
    rebuilt = load_model(bundle)
    assert load_file(str(bundle / "model.safetensors")).keys() == original.state_dict().keys()
    inputs = torch.randn(5, original.hparams.input_size)
    with torch.no_grad():
        expected = original.predictions(original(inputs)).numpy()
        assert np.allclose(rebuilt.predictions(rebuilt(inputs)).numpy(), expected)
    # Any batch size: the ONNX graph's batch axis is dynamic, and it ends in class probabilities.
    session = onnxruntime.InferenceSession(str(bundle / "model.onnx"), providers=["CPUExecutionProvider"])
    onnx_outputs = session.run(None, {"inputs": inputs.numpy()})[0]
    assert np.allclose(onnx_outputs, expected, atol=1e-5)
    assert np.allclose(onnx_outputs.sum(axis=1), 1.0, atol=1e-5)

    schema = json.loads((bundle / "input_schema.json").read_text())
    assert schema["kind"] == "table" and schema["target"] == "target"
    assert len(schema["columns"]) == 30 and schema["columns"][0] == {"name": "mean radius", "type": "numeric"}
    assert read_config(bundle)["class_names"] == ["benign", "malignant"]


def test_an_image_bundle_passes_the_parity_check(digits_bundle):
    assert {path.name for path in digits_bundle.iterdir()} == BUNDLE_FILES  # ten classes: no decision
    report = json.loads((digits_bundle / "export_report.json").read_text())
    assert report["max_abs_difference"] <= 1e-4 and report["parity_examples"] == 8
    schema = json.loads((digits_bundle / "input_schema.json").read_text())
    assert schema["shape"] == [3, 32, 32] and schema["preprocessing"]["recipe"] == "digits"


def test_an_export_whose_graph_disagrees_fails_and_leaves_nothing(
    make_config, tabular_checkpoint, tmp_path, monkeypatch
):
    target = "{{ cookiecutter.package_name }}.deployment.onnx_graph.max_difference"
    monkeypatch.setattr(target, lambda *args: 0.5)
    with pytest.raises(ValueError, match=r"differ from PyTorch's by up to 0\.5 .* nothing was written"):
        export_tabular(make_config, tabular_checkpoint, tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


def test_an_export_never_overwrites_a_folder_with_files(make_config, tabular_checkpoint, tmp_path):
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="is not empty"):
        export_tabular(make_config, tabular_checkpoint, tmp_path / "bundle")


def test_a_folder_that_is_not_a_bundle_is_refused_with_the_fix(tmp_path):
    with pytest.raises(CheckpointError, match=r"not a model bundle .*python -m <package>.export"):
        load_model(tmp_path)
    (tmp_path / "model_config.json").write_text(json.dumps({"bundle_format": 1, "model_class": "os.system"}))
    with pytest.raises(CheckpointError, match="unknown model class 'os.system'"):
        load_model(tmp_path)


def test_best_exports_the_best_checkpoint_of_with_its_metrics(make_config, tabular_checkpoint, tmp_path):
    run_dir = tabular_checkpoint.parent.parent
    tested = json.loads((run_dir / "metrics.json").read_text())
    overrides = ["experiment=tabular_breast_cancer", "ckpt_path=best", f"output_dir={tmp_path / 'best'}"]
    bundle = export(compose_run_config("export", overrides, log_dir=run_dir.parents[2]))  # the run's logs/
    report = json.loads((bundle / "export_report.json").read_text())
    assert report["checkpoint"] == tested["checkpoint"] == str(best_checkpoint_of(tabular_checkpoint))
    assert report["checkpoint"] != str(tabular_checkpoint)  # the tested epoch_000.ckpt, not last.ckpt
    assert json.loads((bundle / "metrics.json").read_text()) == tested


def test_a_checkpoint_that_was_not_tested_travels_without_metrics(make_config, tabular_checkpoint, tmp_path):
    # The run tested its best epoch, not last.ckpt: those numbers must not be served as last's.
    bundle = export_tabular(make_config, tabular_checkpoint, tmp_path / "bundle")
    assert not (bundle / "metrics.json").exists()


def test_export_needs_only_the_run(table_run, tmp_path):
    options = [f"ckpt_path={table_run}", "export.parity_examples=8", f"output_dir={tmp_path / 'bundle'}"]
    bundle = export(compose_run_config("export", options, tmp_path / "logs"))
    names = [column["name"] for column in json.loads((bundle / "input_schema.json").read_text())["columns"]]
    assert "Spend ($)" in names and "Notes" not in names and "Customer ID" not in names
