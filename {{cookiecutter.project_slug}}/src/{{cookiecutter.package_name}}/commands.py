"""What the commands share: how every run starts (the start-up checks, the run record, Lightning's noise
dropped), and one way to load a trained model with its data for the verbs after training (eval, explain,
export)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.utils import get_class, instantiate
from omegaconf import DictConfig

from .config_checks import ConfigError, TrainSchema, check_startup
from .models.base import TrainedModel
from .reporting.data_fingerprint import data_fingerprint, file_fingerprint
from .reporting.run_record import RunRecord, recorded_run
from .utils.checkpoints import resolve_checkpoint
from .utils.lightning_noise import quiet_lightning
from .utils.trackers import tracker_runs


@contextmanager
def started_run(cfg: DictConfig, schema: type = TrainSchema) -> Iterator[RunRecord]:
    """`with started_run(cfg) as record:` refuses a bad configuration before anything is loaded, then
    records the run in `run_record.json` (its end status follows how the block ends)."""
    check_startup(cfg, schema)
    with recorded_run(cfg) as record, quiet_lightning(), tracker_runs(cfg):
        yield record


@dataclass
class TrainedRun:
    """A checkpoint, the model it holds, and the DataModule that feeds that model as in training."""

    checkpoint: Path
    model: TrainedModel
    datamodule: Any


def load_trained_model(cfg: DictConfig, record: RunRecord, verb: str) -> TrainedRun:
    """The model of `cfg.ckpt_path` (loaded safely, on the CPU) and `cfg.data` prepared for it: a table's
    DataModule takes the preprocessing fitted in training from the checkpoint. Refuses data whose classes
    are not the model's. The DataModule is not set up yet: a Trainer sets it up, or the caller does."""
    if not cfg.get("ckpt_path"):
        raise ConfigError(
            f"{verb} needs a checkpoint: pass ckpt_path=best (the newest run's tested checkpoint), "
            "ckpt_path=last, a run directory or a .ckpt file."
        )
    checkpoint = resolve_checkpoint(cfg.ckpt_path, cfg.paths.log_dir)
    if record.enabled:  # rank zero: the only process that writes the record
        record.update(checkpoint=file_fingerprint(checkpoint))
    model = get_class(cfg.model._target_).load_from_checkpoint(
        checkpoint, map_location="cpu", weights_only=True
    )
    datamodule = instantiate(cfg.data, **model.data_arguments())
    if record.enabled:
        record.update(data=data_fingerprint(datamodule))
    data_classes = datamodule.model_arguments().get("class_names")
    if model.hparams.class_names != data_classes:
        raise ConfigError(
            f"{checkpoint} was trained on classes {model.hparams.class_names}, but the data has "
            f"{data_classes}: pass the same data options as in training."
        )
    return TrainedRun(checkpoint, model, datamodule)
