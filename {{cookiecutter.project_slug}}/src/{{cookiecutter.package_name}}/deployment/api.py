"""The prediction API of a model bundle (FastAPI): `GET /health`, `GET /metadata`, `POST /predict`.

The contract, which the OpenAPI schema at `/docs` and `/openapi.json` spells out:
- tables: `{"records": [{<column>: <value>, ...}, ...]}` keyed by the original column names, every model
  column present (null for a missing value, filled as in training), no unknown column, numbers finite;
- images: one or more files in a multipart upload under `files`;
- answers: one per record or file, in order: the most probable label with every class's probability,
  or the predicted value; binary classifiers add the action their decision policy recommends.
Any malformed request is answered 4xx with the field and the problem, never 5xx: 422 for content,
413 for bodies over `max_body_bytes`.
"""

from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import FastAPI, File, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, create_model

from .. import __version__
from ..data.image_files import UnreadableImageError, open_image
from ..data.tabular_columns import CATEGORICAL, NUMERIC
from .feature_recipes import FeatureFunctionError
from .limits import BodySizeLimit, Limits
from .predictor import Predictor

MAX_PROBLEMS = 50  # listed in one 422
# Table requests of up to this many values (rows x columns) are scored on the server's event loop, when
# ONNX Runtime runs the model: their work (pandas, scikit-learn) holds Python's GIL, so threads would run
# them one at a time anyway, and under load the hops to FastAPI's thread pool and the threads' contention
# for the GIL cost more than the work (measured: 32 requests at a time on 2 cores). Larger requests (a
# thousand rows of 30 columns take ~50 ms), image requests and the PyTorch runtime (one forward pass at a
# time, behind a lock the loop must never wait on) use the thread pool, so that they never hold up the
# others.
INLINE_VALUES = 3000
MAX_LISTED_CATEGORIES = 20  # in the schema's description of a column (the schema is public)
FiniteNumber = Annotated[float, Field(strict=True, allow_inf_nan=False)]
CategoryValue = StrictStr | StrictBool | StrictInt


class Prediction(BaseModel):
    label: str | None = Field(None, description="The most probable class (classifiers)")
    probabilities: dict[str, float] | None = Field(None, description="Every class's probability")
    value: float | None = Field(None, description="The predicted value (regression)")
    action: str | None = Field(None, description="What the decision policy recommends (binary classifiers)")
    warnings: list[str] = Field(default_factory=list, description="e.g. categories unseen in training")


class Predictions(BaseModel):
    predictions: list[Prediction]


class Health(BaseModel):
    status: str


def invalid(location: list[str | int], message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, so clients parse one format."""
    return HTTPException(422, detail=[{"type": "value_error", "loc": ["body", *location], "msg": message}])


async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, without echoing the input back: a NaN in it cannot be written as JSON (the
    default handler would fail with a 500), and a large or private body should not travel twice."""
    problems = error.errors()
    detail = [{key: problem[key] for key in ("type", "loc", "msg")} for problem in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:  # a body of many bad rows must not get an answer many times larger
        more = f"... and {len(problems) - MAX_PROBLEMS} more problems of the same request"
        detail.append({"type": "too_many_errors", "loc": ["body"], "msg": more})
    return JSONResponse({"detail": detail}, status_code=422)


def record_model(schema: dict[str, Any]) -> type[BaseModel]:
    """A pydantic model of one table row: a required (nullable) field per model column, by its name."""
    kinds = {NUMERIC: FiniteNumber, CATEGORICAL: CategoryValue}
    fields = {}
    for position, column in enumerate(schema["columns"]):
        description = f"{column['type']}; null when unknown"
        if column["type"] == "datetime":
            description += "; an ISO 8601 date such as 2024-03-31"
        if column.get("categories"):
            known = column["categories"]
            more = (
                f" and {len(known) - MAX_LISTED_CATEGORIES} more"
                if len(known) > MAX_LISTED_CATEGORIES
                else ""
            )
            description += f"; seen in training: {', '.join(known[:MAX_LISTED_CATEGORIES])}{more}"
        # Column names need not be Python names: fields are numbered, and named by alias.
        annotation = kinds.get(column["type"], StrictStr) | None  # dates: ISO strings, checked like predict
        fields[f"column_{position}"] = (annotation, Field(alias=column["name"], description=description))
    return create_model("Record", __config__=ConfigDict(extra="forbid"), **fields)


def create_app(predictor: Predictor, limits: Limits) -> FastAPI:
    app = FastAPI(
        title=f"{__package__.split('.')[0]} prediction API",
        version=__version__,
        description=__doc__,
        responses={413: {"description": "The request body is over the size limit"}},
    )
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes)
    app.add_exception_handler(RequestValidationError, validation_error)

    @app.get("/health")
    def health() -> Health:
        return Health(status="ok")

    @app.get("/metadata")
    def metadata() -> dict[str, Any]:
        return {"version": __version__, **predictor.metadata(), "limits": limits.as_dict()}

    if predictor.kind == "table":
        add_table_route(app, predictor, limits)
    else:
        add_image_route(app, predictor, limits)
    return app


def reject_unscorable(problems: list[str | None], what: str) -> None:
    """A 422 listing every example (by its position in `what`) that has a problem."""
    detail = [
        {"type": "value_error", "loc": ["body", what, index], "msg": problem}
        for index, problem in enumerate(problems)
        if problem
    ]
    if detail:
        raise HTTPException(422, detail=detail)


def reject_bad_values(problems: list[dict[str, str]]) -> None:
    """A 422 naming the record and the column of every value that cannot be used."""
    detail = [
        {"type": "value_error", "loc": ["body", "records", index, column], "msg": f"{column!r}: {reason}"}
        for index, columns in enumerate(problems)
        for column, reason in columns.items()
    ]
    if detail:
        raise HTTPException(422, detail=detail[:MAX_PROBLEMS])


def answers(predictor: Predictor, inputs: np.ndarray, warnings: list[list[str]], what: str) -> Predictions:
    """Run the model; an example without a finite answer makes the request a 422 naming it."""
    outputs, problems = predictor.predict(inputs)
    reject_unscorable(problems, what)
    return Predictions(
        predictions=[
            Prediction(**predictor.answer(output), warnings=notes)
            for output, notes in zip(outputs, warnings, strict=True)
        ]
    )


def add_table_route(app: FastAPI, predictor: Predictor, limits: Limits) -> None:
    table = predictor.inputs()
    record = record_model(predictor.schema)
    request_model = create_model(
        "PredictRequest",
        __config__=ConfigDict(extra="forbid"),
        records=(
            list[record],
            Field(min_length=1, max_length=limits.max_rows, description="Rows to score, in order"),
        ),
    )

    @app.post(
        "/predict",
        response_model_exclude_none=True,
        responses={422: {"description": "A record is malformed; `detail` says which"}},
    )
    async def predict(request: request_model) -> Predictions:  # type: ignore[valid-type]
        if predictor.runtime == "onnx" and len(request.records) * len(table.columns) <= INLINE_VALUES:
            return score(request.records)
        return await run_in_threadpool(score, request.records)

    def score(records: list[BaseModel]) -> Predictions:
        rows = [row.model_dump(by_alias=True, mode="json") for row in records]
        frame = pd.DataFrame(rows, columns=table.columns)
        reject_bad_values(table.row_problems(frame))  # allowed by the types, not by the data
        try:
            inputs, overflows = table.transform(frame)
        except FeatureFunctionError as error:
            raise invalid(["records"], str(error)) from None
        reject_bad_values(overflows)
        return answers(predictor, inputs, table.row_warnings(frame, inputs), "records")


def add_image_route(app: FastAPI, predictor: Predictor, limits: Limits) -> None:
    images = predictor.inputs()

    @app.post(
        "/predict",
        response_model_exclude_none=True,
        responses={422: {"description": "A file is unreadable; `detail` says which"}},
    )
    def predict(
        files: Annotated[list[UploadFile], File(description="One or more image files (PNG, JPEG, ...)")],
    ) -> Predictions:
        if not 1 <= len(files) <= limits.max_files:
            raise invalid(["files"], f"send between 1 and {limits.max_files} files; got {len(files)}")
        arrays = []
        for index, upload in enumerate(files):
            try:
                arrays.append(images.to_array(open_image(upload.file.read(), limits.max_image_pixels)))
            except UnreadableImageError as error:
                message = f"{upload.filename!r} is not a readable image: {error}"
                raise invalid(["files", index], message) from None
        return answers(predictor, np.stack(arrays), [[] for _ in arrays], "files")
