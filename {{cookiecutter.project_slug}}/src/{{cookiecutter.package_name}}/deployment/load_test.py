"""Load-test a served model bundle: many concurrent requests, then the errors and the latency percentiles.

    python -m {{ cookiecutter.package_name }}.serve model_dir=<bundle>  # first, in another terminal
    python -m {{ cookiecutter.package_name }}.deployment.load_test --url http://127.0.0.1:8000 \\
        --requests 1000 --concurrency 32 [--rows 1] [--image FILE]

A table model's request body is built from `GET /metadata`'s input schema, so any bundle can be tested
without writing one; an image model needs a real image (`--image`), since only a decodable file exercises
the whole path. Each latency runs from sending the request to its answer (waiting for a free slot is not
counted): what a client sees at that concurrency. Failed requests count in the latencies too, and make the
exit status 1, so the script doubles as a smoke test before a release.
"""

import argparse
import asyncio
import mimetypes
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

# A placeholder per column type, valid for the API. The schema holds no ranges, so a number is 0.0:
# finite is all the API asks, and a value the model finds odd costs no more time than a typical one.
PLACEHOLDERS = {"numeric": 0.0, "datetime": "2024-01-01"}
PERCENTILES = (50, 90, 99)


def example_records(schema: dict[str, Any], rows: int) -> list[dict[str, Any]]:
    """`rows` copies of one valid record: every column present (the API requires all), categorical columns
    holding their first category seen in training, so the request takes the same path as real traffic."""
    record = {}
    for column in schema["columns"]:
        if column["type"] == "categorical":
            record[column["name"]] = (column.get("categories") or [None])[0]
        else:  # null, allowed for every column, for a type this script does not know
            record[column["name"]] = PLACEHOLDERS.get(column["type"])
    return [dict(record) for _ in range(rows)]


@dataclass
class LoadTestResult:
    """What a run measured: every request's latency and outcome, and how long the whole run took."""

    url: str
    concurrency: int
    rows: int
    latencies_ms: list[float]  # one per request, failed ones included
    outcomes: list[str]  # per request: its HTTP status ("200") or the transport error ("ReadTimeout")
    seconds: float  # wall time of the whole run

    @property
    def requests(self) -> int:
        return len(self.outcomes)

    @property
    def errors(self) -> Counter[str]:
        """Failed requests by status or error type: anything but a 2xx answer."""
        return Counter(outcome for outcome in self.outcomes if not outcome.startswith("2"))

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def latency(self) -> dict[str, float]:
        """p50, p90, p99 and max, in milliseconds."""
        values = np.percentile(self.latencies_ms, PERCENTILES)
        percentiles = {f"p{p}": float(value) for p, value in zip(PERCENTILES, values, strict=True)}
        return {**percentiles, "max": max(self.latencies_ms)}

    def report(self) -> str:
        errors = self.errors
        error_text = str(errors.total())
        if errors:
            error_text += " (" + ", ".join(f"{kind}: {count}" for kind, count in errors.most_common()) + ")"
        lines = [
            ("url", f"{self.url}/predict"),
            ("requests", f"{self.requests} ({self.rows} example{'s' if self.rows > 1 else ''} each)"),
            ("concurrency", str(self.concurrency)),
            ("errors", error_text),
            ("throughput", f"{self.throughput:.1f} requests/s"),
            *((f"latency {name}", f"{value:.1f} ms") for name, value in self.latency().items()),
        ]
        return "\n".join(f"{name:<13} {value}" for name, value in lines)


def request_body(metadata: dict[str, Any], rows: int, image: Path | None) -> dict[str, Any]:
    """The keyword arguments of `client.post("/predict", ...)` for this model, checked against its limits."""
    schema, limits = metadata["input_schema"], metadata.get("limits", {})
    if schema["kind"] == "table":
        limit = limits.get("max_rows", rows)
        body: dict[str, Any] = {"json": {"records": example_records(schema, rows)}}
    else:
        if image is None:
            raise ValueError("an image model: pass --image FILE, an image to upload with each request")
        limit = limits.get("max_files", rows)
        content_type = mimetypes.guess_type(image.name)[0] or "application/octet-stream"
        upload = ("files", (image.name, image.read_bytes(), content_type))
        body = {"files": [upload] * rows}
    if rows > limit:
        raise ValueError(f"--rows {rows} is over the server's limit of {limit} per request")
    return body


async def load_test(
    url: str,
    requests: int,
    concurrency: int,
    rows: int = 1,
    image: Path | None = None,
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> LoadTestResult:
    """Send `requests` identical predictions, at most `concurrency` at a time, over one connection pool."""
    # A kept-alive connection per slot: otherwise httpx closes those beyond its default 20 and the test
    # measures connection set-up, not the model. Idle ones are dropped after 1 s, well before any server
    # drops them (serve: after 75 s; uvicorn's default: 5 s, as httpx's): reusing one the server is
    # closing at that moment fails with a ReadError that says nothing about the model.
    pool = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=1
    )
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=pool, transport=transport) as client:
        metadata = await client.get("/metadata")
        metadata.raise_for_status()
        body = request_body(metadata.json(), rows, image)
        slots = asyncio.Semaphore(concurrency)

        async def timed_request() -> tuple[float, str]:
            async with slots:
                start = time.perf_counter()
                try:
                    outcome = str((await client.post("/predict", **body)).status_code)
                except httpx.HTTPError as error:  # timeouts, refused or dropped connections
                    outcome = type(error).__name__
                return (time.perf_counter() - start) * 1000, outcome

        start = time.perf_counter()
        results = await asyncio.gather(*(timed_request() for _ in range(requests)))
        seconds = time.perf_counter() - start
    latencies, outcomes = zip(*results, strict=True)
    return LoadTestResult(url.rstrip("/"), concurrency, rows, list(latencies), list(outcomes), seconds)


def run_load_test(url: str, requests: int, concurrency: int, **options: Any) -> LoadTestResult:
    """`load_test` from synchronous code (a fresh event loop); options as there."""
    return asyncio.run(load_test(url, requests, concurrency, **options))


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="where the API answers")
    parser.add_argument("--requests", type=positive, default=1000, help="predictions to request in all")
    parser.add_argument("--concurrency", type=positive, default=32, help="requests in flight at once")
    parser.add_argument("--rows", type=positive, default=1, help="records (or image copies) per request")
    parser.add_argument("--image", type=Path, help="the image to upload (image models only)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request fails")
    args = parser.parse_args(argv)
    try:
        result = run_load_test(
            args.url, args.requests, args.concurrency, rows=args.rows, image=args.image, timeout=args.timeout
        )
    except httpx.HTTPError as error:  # only reading /metadata can raise: each request's error is counted
        print(f"error: cannot read {args.url}/metadata: {error!r}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as error:  # a request this script cannot build
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(result.report())
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
