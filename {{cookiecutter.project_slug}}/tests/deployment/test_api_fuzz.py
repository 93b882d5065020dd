"""Property-based fuzzing of the prediction API from its own OpenAPI schema (schemathesis): requests that
fit the schema (positive) and requests that break it (negative), for every endpoint of a table model and
of an image model. None may get a 5xx."""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from {{ cookiecutter.package_name }}.deployment.api import create_app
from {{ cookiecutter.package_name }}.deployment.limits import Limits
from {{ cookiecutter.package_name }}.deployment.predictor import Predictor

LIMITS = Limits(max_rows=20, max_files=4, max_body_bytes=200_000, max_image_pixels=1_000_000)
# derandomize: the same requests on every run, so a failure reproduces. schemathesis' own pytest plugin
# (schemathesis.pytest) does not run under pytest 9, so the strategy drives Hypothesis directly.
FUZZ_SETTINGS = settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def fuzz(bundle: Path, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Predictor(bundle), LIMITS))

    @given(case=schema.as_strategy(generation_mode=mode))
    @FUZZ_SETTINGS
    def no_server_error(case) -> None:
        response = case.call()
        assert response.status_code < 500, (
            f"{case.method} {case.path} -> {response.status_code}: {response.text}"
        )

    no_server_error()


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_no_request_makes_the_table_api_fail(tabular_bundle, mode):
    fuzz(tabular_bundle, mode)


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_no_request_makes_the_image_api_fail(digits_bundle, mode):
    fuzz(digits_bundle, mode)
