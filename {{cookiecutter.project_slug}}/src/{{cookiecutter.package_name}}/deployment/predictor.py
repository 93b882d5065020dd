"""A model bundle ready to answer: model inputs in, one answer per example out.

ONNX Runtime runs the bundle's `model.onnx` by default: no project code in the loop, a small, fast CPU
runtime, and thread-safe sessions, so concurrent requests share one. `runtime="torch"` runs the
safetensors weights in PyTorch instead (the same predictions, within the export's checked tolerance).
"""

import hashlib
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..run_directory import METRICS, PREPROCESSING, read_json
from .bundle import (
    DECISION_FILE,
    ONNX_FILE,
    REPORT_FILE,
    SCHEMA_FILE,
    load_model,
    read_config,
)
from .decision import DecisionPolicy

RUNTIMES = ("onnx", "torch")


class Predictor:
    def __init__(self, model_dir: Path | str, runtime: str = "onnx") -> None:
        if runtime not in RUNTIMES:
            raise ConfigError(f"runtime={runtime!r} is not one of {list(RUNTIMES)}.")
        self.model_dir = Path(model_dir)
        self.config = read_config(self.model_dir)
        self.schema = read_json(self.model_dir / SCHEMA_FILE)
        self.runtime = runtime
        self.class_names: list[str] | None = self.config["class_names"]
        decision = read_json(self.model_dir / DECISION_FILE, default=None)
        self.decision = DecisionPolicy.from_dict(decision) if decision else None
        tested = read_json(self.model_dir / METRICS, default={})
        self.metrics: dict[str, float] = tested.get("metrics", {})
        # What tells two bundles apart: the graph's hash, and the checkpoint it came from.
        self.model_sha256 = hashlib.sha256((self.model_dir / ONNX_FILE).read_bytes()).hexdigest()
        self.checkpoint = Path(read_json(self.model_dir / REPORT_FILE)["checkpoint"]).name
        # A readable name: the project and the bundle's folder (e.g. capstone_project/diabetes).
        self.name = f"{__package__.split('.')[0]}/{self.model_dir.resolve().name}"
        self._run = self._onnx_runner() if runtime == "onnx" else self._torch_runner()

    @property
    def kind(self) -> str:
        """`table` or `image`."""
        return self.schema["kind"]

    @property
    def is_regression(self) -> bool:
        return self.config["task"] == "regression"

    def inputs(self):
        """The converter from raw examples (table rows, image files) to model inputs."""
        if self.kind == "table":
            from .table_inputs import TableInputs

            return TableInputs(self.schema, read_json(self.model_dir / PREPROCESSING))
        from .image_inputs import ImageInputs

        return ImageInputs(self.schema)

    def _onnx_runner(self):
        from .onnx_graph import INPUT_NAME, OUTPUT_NAME, onnx_session

        session = onnx_session(self.model_dir / ONNX_FILE)
        return lambda inputs: session.run([OUTPUT_NAME], {INPUT_NAME: inputs})[0]

    def _torch_runner(self):
        import torch

        from .onnx_graph import PredictionGraph

        graph = PredictionGraph(load_model(self.model_dir)).eval()
        # One forward pass at a time: eager PyTorch already uses every core for one batch.
        lock = threading.Lock()

        def run(inputs: np.ndarray) -> np.ndarray:
            with lock, torch.inference_mode():
                return graph(torch.from_numpy(inputs)).numpy()

        return run

    def predict(self, inputs: np.ndarray) -> tuple[np.ndarray, list[str | None]]:
        """Raw predictions (probabilities or values) and, per row, why it has none.

        A row whose inputs or outputs are not finite numbers (values far outside anything seen in
        training overflow the scaling) gets a reason instead of a meaningless answer."""
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        with np.errstate(all="ignore"):
            outputs = self._run(inputs)
        flat_inputs, flat_outputs = inputs.reshape(len(inputs), -1), outputs.reshape(len(outputs), -1)
        finite = np.isfinite(flat_inputs).all(axis=1) & np.isfinite(flat_outputs).all(axis=1)
        reason = "values too far outside the training data's range to give a finite prediction"
        return outputs, [None if ok else reason for ok in finite]

    def answer(self, output: np.ndarray) -> dict[str, Any]:
        """One example's answer: the value, or the most probable class with every probability and, for a
        binary classifier, the action its decision policy recommends (the threshold weighs the costs of
        mistakes, so the action can differ from the most probable class)."""
        if self.is_regression:
            return {"value": float(np.asarray(output).reshape(-1)[0])}
        probabilities = {name: float(p) for name, p in zip(self.class_names, output, strict=True)}
        answer: dict[str, Any] = {"label": max(probabilities, key=probabilities.get)}
        if self.decision is not None:
            positive = probabilities[self.decision.positive_class]
            answer["action"] = self.decision.action(positive)
        answer["probabilities"] = probabilities
        return answer

    def metadata(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model_class": self.config["model_class"],
            "model_sha256": self.model_sha256,
            "checkpoint": self.checkpoint,
            "task": self.config["task"],
            "runtime": self.runtime,
            "labels": self.class_names,
            "input_schema": self.schema,
            "metrics": self.metrics,
            "decision": self.decision.to_dict() if self.decision else None,
        }
