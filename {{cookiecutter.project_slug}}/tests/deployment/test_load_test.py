"""The load generator: a served tabular bundle answers every concurrent request, in process and over a real
socket, and failures of any kind are counted by type and fail the run."""

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pandas as pd
import pytest
import uvicorn
from fastapi import FastAPI, Response
from tests.conftest import train_tiny
from tests.deployment.conftest import export_bundle

from {{ cookiecutter.package_name }}.config import compose_run_config
from {{ cookiecutter.package_name }}.data.tabular_columns import parse_dates
from {{ cookiecutter.package_name }}.deployment.api import record_model
from {{ cookiecutter.package_name }}.deployment.load_test import example_records, main, run_load_test
from {{ cookiecutter.package_name }}.serve import build_app

ONE_NUMBER = {"kind": "table", "columns": [{"name": "x", "type": "numeric"}]}


@pytest.fixture(scope="module")
def tabular_app(tmp_path_factory) -> FastAPI:
    """The API of a tiny bundle of the three-column synthetic table, as `serve` builds it: few columns keep
    1,000 requests within seconds, since the API's preprocessing costs about half a millisecond per column."""
    logs = tmp_path_factory.mktemp("logs")
    data = ["experiment=tabular_synthetic"]
    bundle = export_bundle(train_tiny(data, logs), [*data, "export.parity_examples=8"], logs)
    return build_app(compose_run_config("serve", [f"model_dir={bundle}"], logs))


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` on a real uvicorn server (a free port, a background thread) until the block ends; its URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_tabular_bundle_answers_every_concurrent_request_in_process(tabular_app):
    transport = httpx.ASGITransport(app=tabular_app)
    result = run_load_test("http://api", 200, 16, rows=4, transport=transport)
    assert result.errors == {} and result.requests == len(result.latencies_ms) == 200
    latency = result.latency()
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]


def test_a_real_server_answers_1000_requests_at_concurrency_32(tabular_app, capsys):
    with serving(tabular_app) as url:
        status = main(["--url", url, "--requests", "1000", "--concurrency", "32"])
    report = capsys.readouterr().out
    assert status == 0, report
    assert "requests      1000 (1 example each)" in report and "errors        0\n" in report
    assert "latency p50" in report and "latency p99" in report and "requests/s" in report


def test_failed_requests_are_reported_by_status_and_fail_the_run(capsys):
    app = FastAPI()
    calls = itertools.count()

    @app.get("/metadata")
    def metadata() -> dict:
        return {"input_schema": ONE_NUMBER, "limits": {"max_rows": 10}}

    @app.post("/predict")
    async def predict() -> Response:  # async: one event loop, so every other call fails, exactly
        return Response(status_code=503 if next(calls) % 2 else 200)

    with serving(app) as url:
        status = main(["--url", url, "--requests", "40", "--concurrency", "8"])
    assert status == 1
    assert "errors        20 (503: 20)" in capsys.readouterr().out


def test_transport_errors_are_counted_by_type():
    calls = itertools.count()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/metadata":
            return httpx.Response(200, json={"input_schema": ONE_NUMBER})
        if next(calls) % 2:
            raise httpx.ReadTimeout("no answer", request=request)
        return httpx.Response(200, json={"predictions": [{"value": 1.0}]})

    result = run_load_test("http://api", 10, 4, transport=httpx.MockTransport(answer))
    assert result.errors == {"ReadTimeout": 5} and len(result.latencies_ms) == 10


def test_the_request_body_is_valid_for_every_column_type():
    schema = {
        "kind": "table",
        "columns": [
            {"name": "Age (years)", "type": "numeric"},
            {"name": "City", "type": "categorical", "categories": ["Faro", "Lisbon"]},
            {"name": "Signup date", "type": "datetime"},
        ],
    }
    records = example_records(schema, rows=3)
    assert records[0] == {"Age (years)": 0.0, "City": "Faro", "Signup date": "2024-01-01"}
    assert len(records) == 3
    for record in records:
        record_model(schema).model_validate(record)  # the API's own model of a row
    assert parse_dates(pd.Series([records[0]["Signup date"]])).notna().all()  # as the API reads dates


def test_an_image_model_needs_an_image_and_gets_it_uploaded(tmp_path):
    uploads = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/metadata":
            return httpx.Response(200, json={"input_schema": {"kind": "image"}, "limits": {"max_files": 2}})
        uploads.append(request)
        return httpx.Response(200, json={"predictions": []})

    transport = httpx.MockTransport(answer)
    with pytest.raises(ValueError, match="image model: pass --image FILE"):
        run_load_test("http://api", 1, 1, transport=transport)
    image = tmp_path / "digit.png"
    image.write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError, match="--rows 3 is over the server's limit of 2"):
        run_load_test("http://api", 1, 1, rows=3, image=image, transport=transport)

    result = run_load_test("http://api", 3, 2, rows=2, image=image, transport=transport)
    assert result.errors == {} and len(uploads) == 3
    body = uploads[0].read()
    assert uploads[0].headers["content-type"].startswith("multipart/form-data")
    assert body.count(b'name="files"; filename="digit.png"') == 2 and b"Content-Type: image/png" in body


def test_an_unreachable_server_is_an_error_before_any_load(capsys):
    assert main(["--url", "http://127.0.0.1:9", "--requests", "1"]) == 2  # nothing listens there
    assert "cannot read http://127.0.0.1:9/metadata" in capsys.readouterr().err
