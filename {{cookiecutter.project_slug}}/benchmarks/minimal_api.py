"""The baseline of `serve_rps`: the smallest FastAPI app a practitioner would write around the same model,
single worker, PyTorch eager, the same fitted preprocessing; no validation, limits or decisions.

    python -m benchmarks.minimal_api <bundle folder> <port>"""

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import uvicorn
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.data.tabular_preprocessing import TabularPreprocessor
from {{ cookiecutter.package_name }}.deployment.bundle import load_model


def minimal_app(bundle: Path) -> FastAPI:
    model = load_model(bundle)
    preprocessor = TabularPreprocessor.from_state(json.loads((bundle / "preprocessing.json").read_text()))
    schema = json.loads((bundle / "input_schema.json").read_text())
    app = FastAPI()

    @app.get("/metadata")
    def metadata() -> dict[str, Any]:  # what the load generator reads to build its requests
        return {"input_schema": schema}

    @app.post("/predict")
    def predict(body: dict[str, Any]) -> dict[str, Any]:
        inputs = torch.tensor(preprocessor.transform(pd.DataFrame(body["records"])), dtype=torch.float32)
        with torch.inference_mode():
            return {"predictions": model.predictions(model(inputs)).tolist()}

    return app


if __name__ == "__main__":
    bundle, port = Path(sys.argv[1]), int(sys.argv[2])
    uvicorn.run(minimal_app(bundle), host="127.0.0.1", port=port, access_log=False, log_level="warning")
