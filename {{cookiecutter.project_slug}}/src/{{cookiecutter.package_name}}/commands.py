"""What the commands share: how every run starts (the start-up checks, the run record, Lightning's noise
dropped), and one way to load a trained model with its data, configured as its run was, for the verbs
after training (eval, explain, and export where the project has it)."""

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.utils import get_class, instantiate
from omegaconf import DictConfig

from .config_checks import TrainSchema, check_startup
from .errors import CheckpointError, ConfigError
from .models.base import TrainedModel
from .reporting.data_fingerprint import data_fingerprint, file_fingerprint
from .reporting.run_configuration import configure_from_run
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


@contextmanager
def trained_run(
    cfg: DictConfig, verb: str, schema: type = TrainSchema
) -> Iterator[tuple[RunRecord, TrainedRun]]:
    """`with trained_run(cfg, "eval") as (record, trained):` the checkpoint `cfg.ckpt_path` names, with its
    data and model configured as its run saved them (reporting/run_configuration.py; this command line's
    options still win), inside a started run."""
    if not cfg.get("ckpt_path"):
        raise ConfigError(
            f"{verb} needs a checkpoint: pass ckpt_path=best (the newest run's tested checkpoint), "
            "ckpt_path=last, a run directory or a .ckpt file."
        )
    checkpoint = resolve_checkpoint(cfg.ckpt_path, cfg.paths.log_dir)
    taken = configure_from_run(cfg, checkpoint)
    with started_run(cfg, schema) as record:
        if record.enabled:  # rank zero: the only process that writes the record
            record.update(checkpoint=file_fingerprint(checkpoint), configured_from_run=taken)
        yield record, load_trained_model(cfg, checkpoint, record)


def load_trained_model(cfg: DictConfig, checkpoint: Path, record: RunRecord) -> TrainedRun:
    """The model of `checkpoint` (loaded safely, on the CPU) and `cfg.data` prepared for it: a table's
    DataModule takes the preprocessing fitted in training from the checkpoint. Refuses data whose classes
    are not the model's. The DataModule is not set up yet: a Trainer sets it up, or the caller does."""
    model_class = get_class(cfg.model._target_)
    try:
        model = model_class.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True)
    except (TypeError, KeyError, RuntimeError, EOFError, pickle.UnpicklingError) as error:
        # Saved by another class, or not a checkpoint at all.
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CheckpointError(
            f"{checkpoint} cannot be loaded as {model_class.__name__} ({reason}): configure the model it "
            "was trained with (experiment=..., model=...), or pass a checkpoint inside its run directory, "
            "whose run record says."
        ) from error
    datamodule = instantiate(cfg.data, **model.data_arguments())
    if record.enabled:
        record.update(data=data_fingerprint(datamodule))
    data_classes = datamodule.model_arguments().get("class_names")
    if model.hparams.class_names != data_classes:
        raise CheckpointError(
            f"{checkpoint} was trained on classes {model.hparams.class_names}, but the data has "
            f"{data_classes}: pass data options that give the training classes, or drop them to use the "
            "run's data."
        )
    return TrainedRun(checkpoint, model, datamodule)
