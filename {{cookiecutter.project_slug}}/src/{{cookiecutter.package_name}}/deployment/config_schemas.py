"""The settings of the serving verbs (`configs/export.yaml`, `predict.yaml`, `serve.yaml`), which
`config_checks.check_startup` checks like the training settings before anything is loaded."""

import dataclasses
from typing import Any

from omegaconf import MISSING

from ..config_checks import PathsSchema, TrainSchema


@dataclasses.dataclass
class ExportSettingsSchema:
    tolerance: float = 1.0e-4
    parity_examples: int = 256


@dataclasses.dataclass
class DecisionSchema:
    positive_class: str | None = None
    cost_false_positive: float = 1.0
    cost_false_negative: float = 1.0
    positive_action: str | None = None
    negative_action: str | None = None


@dataclasses.dataclass
class ExportSchema(TrainSchema):
    """`configs/export.yaml`: the training settings plus where the bundle goes and how it decides."""

    output_dir: str = MISSING
    export: ExportSettingsSchema = dataclasses.field(default_factory=ExportSettingsSchema)
    decision: DecisionSchema = dataclasses.field(default_factory=DecisionSchema)


@dataclasses.dataclass
class BundleSchema:
    """What `predict` and `serve` share: a model bundle, and the runtime that runs it."""

    task_name: str = MISSING
    model_dir: str | None = None
    runtime: str = "onnx"
    paths: PathsSchema = dataclasses.field(default_factory=PathsSchema)


@dataclasses.dataclass
class PredictSchema(BundleSchema):
    """`configs/predict.yaml`."""

    input: str | None = None
    output: str = MISSING
    batch_size: int = 256
    max_image_pixels: int = 25_000_000


@dataclasses.dataclass
class ServeSchema(BundleSchema):
    """`configs/serve.yaml`; `limits` is checked against the signature of its `_target_`."""

    host: str = "127.0.0.1"
    port: int = 8000
    timeout_keep_alive: int = 75
    access_log: bool = False
    limits: Any = None
