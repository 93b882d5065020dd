"""The prediction API's contract: every endpoint, and a 4xx naming the problem for every malformed request."""

import hashlib
import io
import json
from pathlib import Path

import anyio.to_thread
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sklearn.datasets import load_breast_cancer
from tests.conftest import train_tiny, write_customer_table
from tests.deployment.conftest import export_bundle

from {{ cookiecutter.package_name }}.deployment import api
from {{ cookiecutter.package_name }}.deployment.api import create_app
from {{ cookiecutter.package_name }}.deployment.limits import Limits
from {{ cookiecutter.package_name }}.deployment.predictor import Predictor
from {{ cookiecutter.package_name }}.serve import build_app

LIMITS = Limits(max_rows=5, max_files=3, max_body_bytes=50_000, max_image_pixels=100_000)


def client_for(bundle: Path, runtime: str = "onnx") -> TestClient:
    return TestClient(create_app(Predictor(bundle, runtime), LIMITS), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def tables(tabular_bundle) -> TestClient:
    return client_for(tabular_bundle)


@pytest.fixture(scope="module")
def images(digits_bundle) -> TestClient:
    return client_for(digits_bundle)


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return load_breast_cancer(as_frame=True).data.head(3).to_dict("records")


def problems(response) -> list[tuple[list, str]]:
    """(location, message) of each problem in a 422 answer."""
    assert response.status_code == 422, response.text
    return [(problem["loc"], problem["msg"]) for problem in response.json()["detail"]]


def test_health_and_metadata_describe_the_served_model(tables, tabular_bundle):
    assert tables.get("/health").json() == {"status": "ok"}
    metadata = tables.get("/metadata").json()
    assert metadata["labels"] == ["benign", "malignant"] and metadata["task"] == "classification"
    assert metadata["runtime"] == "onnx" and metadata["model_class"] == "TabularMLP"
    assert metadata["name"] == f"{Predictor.__module__.split('.')[0]}/{tabular_bundle.name}"
    assert (
        metadata["model_sha256"] == hashlib.sha256((tabular_bundle / "model.onnx").read_bytes()).hexdigest()
    )
    assert metadata["checkpoint"] == "epoch_000.ckpt"  # the tested checkpoint, whose metrics these are
    assert [c["name"] for c in metadata["input_schema"]["columns"]][:2] == ["mean radius", "mean texture"]
    trained = json.loads((tabular_bundle / "metrics.json").read_text())["metrics"]
    assert metadata["metrics"] == trained and "test/acc" in trained
    assert metadata["decision"]["cost_false_negative"] == 5.0
    assert metadata["limits"]["max_rows"] == 5
    schema = tables.get("/openapi.json").json()
    assert {"/health", "/metadata", "/predict"} <= set(schema["paths"])


def test_records_get_a_label_probabilities_and_an_action(tables, tabular_bundle, records):
    response = tables.post("/predict", json={"records": records})
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    assert len(answers) == 3
    predictor = Predictor(tabular_bundle, "torch")
    inputs, _ = predictor.inputs().transform(pd.DataFrame(records))
    expected, _ = predictor.predict(inputs)
    threshold = predictor.decision.threshold
    for answer, probabilities in zip(answers, expected, strict=True):
        assert set(answer) == {"label", "probabilities", "action", "warnings"}
        assert np.allclose(list(answer["probabilities"].values()), probabilities, atol=1e-4)
        assert answer["label"] == ["benign", "malignant"][int(np.argmax(probabilities))]
        acts = answer["probabilities"]["malignant"] >= threshold
        assert answer["action"] == ("treat as malignant" if acts else "treat as benign")
    one = tables.post("/predict", json={"records": records[:1]}).json()["predictions"]
    assert one == answers[:1]  # a row's answer does not depend on its batch


def thread_pool_calls(monkeypatch) -> list[str]:
    """The names of the functions handed to the thread pool from now on (they still run there)."""
    handed_over = []
    run_sync = anyio.to_thread.run_sync

    async def counted(function, *args, **kwargs):
        handed_over.append(getattr(function, "func", function).__name__)  # run_in_threadpool: a partial
        return await run_sync(function, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return handed_over


def test_small_table_requests_skip_the_thread_pool_and_large_ones_use_it(tables, records, monkeypatch):
    """Small table requests run on the event loop: under load, the hops to FastAPI's thread pool and the
    threads' contention for the GIL cost more than their work (measured with 32 at a time). Large ones go to
    the pool, so as not to hold up the others: same answers, same 422s."""
    handed_over = thread_pool_calls(monkeypatch)
    inline = tables.post("/predict", json={"records": records})
    assert inline.status_code == 200, inline.text
    assert handed_over == [] and len(inline.json()["predictions"]) == len(records)

    monkeypatch.setattr(api, "INLINE_VALUES", len(records) * len(records[0]) - 1)
    pooled = tables.post("/predict", json={"records": records})
    assert handed_over == ["score"] and pooled.json() == inline.json()
    overflow = tables.post("/predict", json={"records": [*records[:2], {**records[2], "worst area": 1e308}]})
    [(where, _)] = problems(overflow)
    assert where == ["body", "records", 2, "worst area"] and handed_over == ["score", "score"]


def test_the_pytorch_runtime_scores_tables_in_the_thread_pool(tabular_bundle, records, monkeypatch):
    """Its forward passes take turns behind a lock, which the event loop must never wait on."""
    handed_over = thread_pool_calls(monkeypatch)
    response = client_for(tabular_bundle, "torch").post("/predict", json={"records": records[:1]})
    assert response.status_code == 200, response.text
    assert handed_over == ["score"]


def test_a_missing_value_is_filled_as_in_training(tables, tabular_bundle, records):
    fitted = json.loads((tabular_bundle / "preprocessing.json").read_text())["fitted"]
    fill = fitted["numeric_fill"][fitted["numeric"].index("mean area")]  # the training split's median
    missing = tables.post("/predict", json={"records": [{**records[0], "mean area": None}]})
    filled = tables.post("/predict", json={"records": [{**records[0], "mean area": fill}]})
    assert missing.status_code == 200, missing.text
    assert missing.json() == filled.json()


def test_values_far_outside_the_training_range_are_answered_with_a_warning(tables, records):
    response = tables.post("/predict", json={"records": [{**records[0], "worst area": 1e20}]})
    assert response.status_code == 200, response.text
    [warning] = response.json()["predictions"][0]["warnings"]
    assert warning == "'worst area': far outside the training range (over 10 standard deviations)"


@pytest.mark.parametrize(
    ("change", "location", "message"),
    [
        (lambda r: {k: v for k, v in r.items() if k != "mean radius"}, ["mean radius"], "Field required"),
        (lambda r: {**r, "height": 1.8}, ["height"], "Extra inputs are not permitted"),
        (lambda r: {**r, "mean radius": "12.5"}, ["mean radius"], "Input should be a valid number"),
        (lambda r: {**r, "mean radius": [12.5]}, ["mean radius"], "Input should be a valid number"),
        (lambda r: {**r, "mean radius": True}, ["mean radius"], "Input should be a valid number"),
        (lambda r: {**r, "worst area": 1e308}, ["worst area"], "too far outside the training data's range"),
    ],
    ids=["missing column", "unknown column", "text for a number", "list", "boolean", "overflow"],
)
def test_a_bad_record_is_a_422_naming_the_record_and_the_column(tables, records, change, location, message):
    response = tables.post("/predict", json={"records": [records[0], change(records[1])]})
    [(where, text)] = problems(response)
    assert where == ["body", "records", 1, *location] and message in text


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused(tables, records, token):
    body = json.dumps({"records": [records[0]]}).replace(str(records[0]["mean radius"]), token, 1)
    response = tables.post("/predict", content=body, headers={"content-type": "application/json"})
    assert (["body", "records", 0, "mean radius"], "Input should be a finite number") in problems(response)


@pytest.mark.parametrize(
    ("body", "location", "message"),
    [
        ({"records": []}, ["body", "records"], "at least 1 item"),
        ({"records": [{}] * 6}, ["body", "records"], "at most 5 items"),
        ({"rows": []}, ["body", "records"], "Field required"),
        ([1, 2], ["body"], "valid dictionary"),
        ("[{", ["body", 2], "JSON decode error"),
    ],
    ids=["empty batch", "oversized batch", "wrong key", "not an object", "broken JSON"],
)
def test_malformed_bodies_are_422s(tables, body, location, message):
    content = body if isinstance(body, str) else json.dumps(body)
    response = tables.post("/predict", content=content, headers={"content-type": "application/json"})
    assert any(where == location and message in text for where, text in problems(response))


def test_bodies_over_the_limit_are_413s_declared_or_streamed(tables):
    response = tables.post("/predict", content=b" " * 60_000, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body (60,000 bytes) is over the limit of 50,000 bytes."

    def chunks():  # no Content-Length: the size is only known while reading
        yield from [b" " * 10_000] * 6

    response = tables.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "so far" in response.json()["detail"]


def test_wrong_methods_and_paths_are_4xx(tables):
    assert tables.get("/predict").status_code == 405
    assert tables.get("/nothing-here").status_code == 404


def test_categories_dates_and_booleans_are_typed_and_unseen_categories_flagged(tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    table = write_customer_table(logs / "customers.csv")
    data = ["experiment=tabular", f"data.path={table}", "data.target='Segment (tier)'"]
    bundle = export_bundle(train_tiny(data, logs), data, logs)
    client = client_for(bundle)
    columns = {c["name"]: c["type"] for c in client.get("/metadata").json()["input_schema"]["columns"]}
    assert columns["City"] == "categorical" and columns["Signup date"] == "datetime"
    row = pd.read_csv(table)[list(columns)].iloc[0].to_dict()
    row = {**row, "City": "Lisbon", "Member?": True, "Age (years)": 40.0, "Signup date": "2021-06-01"}
    response = client.post("/predict", json={"records": [row, {**row, "City": "Berlin"}]})
    assert response.status_code == 200, response.text
    first, second = response.json()["predictions"]
    assert first["warnings"] == [] and first["label"] in {"bronze", "silver", "gold"}
    assert second["warnings"] == ["'City': category 'Berlin' was not seen in training"]
    found = problems(client.post("/predict", json={"records": [{**row, "Signup date": "soon"}]}))
    assert found == [
        (["body", "records", 0, "Signup date"], "'Signup date': 'soon' is not an ISO 8601 date (YYYY-MM-DD)")
    ]
    # A number is not a date here (pydantic would read 20210601 as seconds since 1970): as in predict.
    found = problems(client.post("/predict", json={"records": [{**row, "Signup date": 20210601}]}))
    assert found[0][0] == ["body", "records", 0, "Signup date"]
    found = problems(client.post("/predict", json={"records": [{**row, "City": 3.5}]}))
    assert {tuple(where[:4]) for where, _ in found} == {("body", "records", 0, "City")}  # str, bool or int


def png(size=(8, 8), colour=128, noisy=False) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, size[::-1], dtype=np.uint8) if noisy else None
    image = Image.fromarray(pixels, mode="L") if noisy else Image.new("L", size, colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_images_get_a_label_each(images):
    files = [("files", (f"{i}.png", png(colour=40 * i), "image/png")) for i in range(3)]
    response = images.post("/predict", files=files)
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    assert len(answers) == 3
    for answer in answers:
        assert answer["label"] in [str(d) for d in range(10)] and "action" not in answer
        assert sum(answer["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 definitely not a picture", "not an image in a supported format"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\n", "not an image in a supported format"),
        (png(size=(64, 64), noisy=True)[:2000], "the image data is damaged"),
        (b"", "the file is empty"),
        (png(size=(1000, 1000)), "1000x1000 pixels is over the limit of 100,000"),
        (png(size=(1, 5000)), "1x5000 pixels is too elongated to resize (sides over 20:1)"),
    ],
    ids=[
        "not an image",
        "EPS (never handed to Ghostscript)",
        "truncated",
        "empty",
        "too many pixels",
        "thin",
    ],
)
def test_unreadable_uploads_are_422s_naming_the_file(images, content, message):
    files = [("files", ("good.png", png(), "image/png")), ("files", ("bad.png", content, "image/png"))]
    [(where, text)] = problems(images.post("/predict", files=files))
    assert (
        where == ["body", "files", 1]
        and text.startswith("'bad.png' is not a readable image")
        and message in text
    )


def test_upload_counts_and_shapes_are_checked(images):
    too_many = [("files", (f"{i}.png", png(), "image/png")) for i in range(4)]
    assert problems(images.post("/predict", files=too_many)) == [
        (["body", "files"], "send between 1 and 3 files; got 4")
    ]
    assert problems(images.post("/predict", data={"other": "x"}))[0][0] == ["body", "files"]
    assert images.post("/predict", json={"records": []}).status_code == 422


def test_serve_builds_the_app_from_its_config(make_config, tabular_bundle):
    app = build_app(make_config("serve", f"model_dir={tabular_bundle}", "runtime=torch", "limits.max_rows=2"))
    client = TestClient(app)
    assert client.get("/metadata").json()["runtime"] == "torch"
    assert client.get("/metadata").json()["limits"]["max_rows"] == 2
    with pytest.raises(ValueError, match="serve needs model_dir="):
        build_app(make_config("serve"))
    with pytest.raises(ValueError, match=r"runtime='tf' is not one of \['onnx', 'torch'\]"):
        build_app(make_config("serve", f"model_dir={tabular_bundle}", "runtime=tf"))
