"""The model as an ONNX graph from inputs to final predictions, checked against PyTorch.

The graph includes the last step (softmax, or the regression target's units), so a runtime needs no
project code to turn its outputs into answers. The batch axis is dynamic: any number of rows or images.
"""

import logging
from pathlib import Path

import numpy as np
import onnxruntime
import torch
from torch import nn

INPUT_NAME, OUTPUT_NAME = "inputs", "predictions"


class PredictionGraph(nn.Module):
    """Inputs -> class probabilities, or values in the target's units."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model.predictions(self.model(inputs))


def export_onnx(model, example: torch.Tensor, path: Path) -> Path:
    """`example`: a batch of at least two inputs (one would fix the batch size in the graph)."""
    for name in ("onnxscript", "onnx_ir"):  # their optimiser narrates every pass at INFO level
        logging.getLogger(name).setLevel(logging.WARNING)
    graph = PredictionGraph(model).eval()
    torch.onnx.export(
        graph,
        (example,),
        str(path),
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        dynamic_shapes=({0: torch.export.Dim("batch")},),
        dynamo=True,
        external_data=False,  # one self-contained file (models here are far below ONNX's 2 GB limit)
        verbose=False,
    )
    return path


def onnx_session(path: Path) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    # Idle threads sleep instead of spinning: a server's small requests would otherwise leave ONNX
    # Runtime's threads busy-waiting on the cores that parse and preprocess the next requests.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@torch.no_grad()
def max_difference(path: Path, model, inputs: torch.Tensor) -> float:
    """Largest absolute difference between ONNX Runtime's and PyTorch's predictions on `inputs`."""
    expected = PredictionGraph(model).eval()(inputs).numpy()
    actual = onnx_session(path).run([OUTPUT_NAME], {INPUT_NAME: inputs.numpy()})[0]
    return float(np.max(np.abs(actual - expected)))
