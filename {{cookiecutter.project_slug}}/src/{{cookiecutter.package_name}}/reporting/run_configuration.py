"""A run knows how it was made: the verbs after training (eval, explain, and export where the project has
it) take the data and model configuration from the `run_record.json` of the checkpoint's run, so
`ckpt_path` is all they need.

This command line still has the last word: `data.path=other.csv` evaluates the same model on another
file, and choosing another group (`data=diabetes`, `model=mlp`, `experiment=...`) keeps that section as
configured here. Options repeated exactly from the training command change nothing.
"""

import logging
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, OmegaConf, open_dict

from ..errors import CheckpointError, ConfigError
from ..run_directory import CHECKPOINTS_DIR, RUN_RECORD, read_json, run_of_checkpoint
from .run_record import command_line_overrides
from .secrets import REDACTED

log = logging.getLogger(__name__)
# The config groups that decide each section taken from the run (configs/optimizer/ and configs/scheduler/
# are packaged into model.optimizer and model.scheduler; experiments overlay both sections).
SECTION_GROUPS = {
    "data": ("data", "experiment"),
    "model": ("model", "optimizer", "scheduler", "experiment"),
}


def run_directory_of(checkpoint: Path) -> Path | None:
    """The run directory that saved `checkpoint` (`<run>/checkpoints/<name>.ckpt` next to its
    `run_record.json`), or None for a checkpoint from elsewhere."""
    run_dir = run_of_checkpoint(checkpoint)
    return run_dir if run_dir and (run_dir / RUN_RECORD).is_file() else None


def configure_from_run(cfg: DictConfig, checkpoint: Path) -> dict[str, Any] | None:
    """Replace `cfg.data` and `cfg.model` by those of the run that saved `checkpoint`, then apply this
    command line's options for them again; returns what was taken from where (for the run record), or
    None when the checkpoint has no run directory (`cfg` is then used as given). Refuses a model chosen
    here that is not the class the run trained."""
    run_dir = run_directory_of(checkpoint)
    if run_dir is None:
        log.warning(
            "%s is not inside a run directory (<run>/%s/ next to %s): using the data and model options "
            "of this command line.",
            checkpoint,
            CHECKPOINTS_DIR,
            RUN_RECORD,
        )
        return None
    record = read_json(run_dir / RUN_RECORD)
    trained_with = {override.lstrip("+") for override in record.get("overrides") or []}
    # Compared without `+`/`++`: config.with_run_options_forced adds `++` to this command's data options.
    changes = [o for o in parse(command_line_overrides()) if o.input_line.lstrip("+") not in trained_with]
    taken: dict[str, Any] = {"run": str(run_dir), "trained_with": sorted(trained_with)}
    for section, groups in SECTION_GROUPS.items():
        chosen_here = [o.input_line for o in changes if o.key_or_group in groups]
        if chosen_here or section not in record.get("config", {}):
            taken[section] = f"this command line ({' '.join(chosen_here) or 'the run saved none'})"
            continue
        refuse_masked_values(record["config"][section], section)
        with open_dict(cfg):
            cfg[section] = record["config"][section]
        given = [o for o in changes if o.key_or_group.startswith(f"{section}.")]
        for override in given:
            apply(cfg, override)
        shown = " ".join(o.input_line.lstrip("+") for o in given)
        taken[section] = "the run" + (f", then {shown}" if given else "")
    trained = record.get("config", {}).get("model", {}).get("_target_")
    if trained and trained != cfg.model._target_:
        raise CheckpointError(
            f"{checkpoint} holds a {trained.rsplit('.', 1)[-1]} model, but this command line configures "
            f"{cfg.model._target_.rsplit('.', 1)[-1]}: drop the model option (the run's model is used), or "
            "pass a checkpoint of the model you configure."
        )
    log.info(
        "Configured from the run %s: data from %s; model from %s.", run_dir, taken["data"], taken["model"]
    )
    return taken


def refuse_masked_values(section: dict[str, Any], path: str) -> None:
    """The run record masks secrets; a masked value taken back would be used as if it were the secret."""
    for key, value in section.items():
        if isinstance(value, dict):
            refuse_masked_values(value, f"{path}.{key}")
        elif value == REDACTED:
            raise ConfigError(
                f"{path}.{key} was a secret, masked in the run's {RUN_RECORD}: pass it again, "
                f"{path}.{key}=... (or set it in configs/local/, which git ignores)."
            )


def parse(overrides: list[str]) -> list[Override]:
    return OverridesParser.create().parse_overrides(overrides)


def apply(cfg: DictConfig, override: Override) -> None:
    """One `key=value`, `+key=value`, `++key=value` or `~key` override onto `cfg`, as Hydra applies it."""
    key = override.key_or_group
    if override.is_delete():
        parent, _, leaf = key.rpartition(".")
        node = OmegaConf.select(cfg, parent)
        if node is not None and leaf in node:
            with open_dict(node):
                del node[leaf]
        return
    with open_dict(cfg):
        OmegaConf.update(cfg, key, override.value(), merge=True, force_add=True)
