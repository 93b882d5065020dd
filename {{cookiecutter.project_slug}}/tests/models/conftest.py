"""What the model tests share."""

from collections.abc import Callable

import pytest
from lightning.pytorch import Trainer


@pytest.fixture
def bare_trainer() -> Callable[..., Trainer]:
    """bare_trainer(**options) -> a CPU Trainer with no checkpoints, progress bar, model summary or logger
    (unless `options` give one): only what a test looks at runs."""

    def make(**options) -> Trainer:
        quiet = {"logger": False, "enable_checkpointing": False, "enable_progress_bar": False}
        return Trainer(**{"accelerator": "cpu", "enable_model_summary": False, **quiet, **options})

    return make
