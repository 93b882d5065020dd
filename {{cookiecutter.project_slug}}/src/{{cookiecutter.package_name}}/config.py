"""Where the Hydra configs live, and the custom resolvers they use."""

import netrc
import os
import re
import secrets
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

# The project is installed in editable mode (`pip install -e .`), so the package sits at
# <root>/src/<package>/ and the configs next to it at <root>/configs/.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "configs"
# Lightning's own settings of a learning-rate scheduler, which `configs/scheduler/` keeps next to the
# scheduler's arguments: step it every `interval` ("epoch" or "step"), and the metric ReduceLROnPlateau
# watches (`monitor`). The model takes them out before it builds the scheduler (models/base.py).
LIGHTNING_SCHEDULER_KEYS = ("interval", "monitor")


# The verbs after training take their data and model options from the checkpoint's run
# (reporting/run_configuration.py). A `data.x=...` or `model.x=...` on their command line may name a key that
# the config they compose lacks (it starts from the digits data and ResNet18), so it is applied with Hydra's
# `++` (set, or add if missing): the run's own section then replaces the composed one, and these options are
# applied to it again.
VERBS_CONFIGURED_FROM_RUN = ("eval", "explain", "export")
RUN_SECTION_OPTION = re.compile(r"^(data|model)\.[^=]+=")


def with_run_options_forced(config_name: str, arguments: list[str]) -> list[str]:
    """`arguments` of `python -m <package>.<config_name>`, with `++` before each data and model option of a
    verb configured from its checkpoint's run."""
    if config_name not in VERBS_CONFIGURED_FROM_RUN:
        return arguments
    return [f"++{argument}" if RUN_SECTION_OPTION.match(argument) else argument for argument in arguments]


def unique_run_suffix() -> str:
    """A short random token so two runs started in the same second get different directories."""
    return secrets.token_hex(3)


def wandb_should_run_offline() -> bool:
    """Log to wandb offline unless credentials exist, so training never blocks on a login prompt."""
    if os.environ.get("WANDB_MODE") in ("offline", "disabled"):
        return True
    if os.environ.get("WANDB_API_KEY"):
        return False
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is None
    except (
        FileNotFoundError,
        netrc.NetrcParseError,
    ):
        return True


def sweep_directory() -> Path | None:
    """The sweep's directory in a multirun (it holds `multirun.yaml`), else None."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return None
    return Path(HydraConfig.get().sweep.dir)


def tracker_group(task_name: str) -> str:
    """The group of a run in experiment trackers (W&B, MLflow): the trials of a `-m` sweep share one,
    `<task>-<sweep directory's name>`; any other run is grouped with the runs of its task."""
    sweep = sweep_directory()
    return f"{task_name}-{sweep.name}" if sweep else task_name


def tracker_run_name(task_name: str, output_dir: str) -> str:
    """A run's name in experiment trackers: its group and its directory's name (a trial's: its number)."""
    return f"{tracker_group(task_name)}-{Path(output_dir).name}"


def cluster_nodes() -> int:
    """Nodes of this job: SLURM's count, or torchrun's world size over processes per node; else 1."""
    for variable in ("SLURM_JOB_NUM_NODES", "SLURM_NNODES"):
        if os.environ.get(variable):
            return int(os.environ[variable])
    if os.environ.get("WORLD_SIZE") and os.environ.get("LOCAL_WORLD_SIZE"):
        return int(os.environ["WORLD_SIZE"]) // int(os.environ["LOCAL_WORLD_SIZE"])
    return 1


def cluster_devices_per_node() -> int | str:
    """Processes (one per GPU) per node: SLURM's tasks per node ("4" or "4(x2)"), torchrun's local world
    size, or `auto` (every visible GPU)."""
    tasks = os.environ.get("SLURM_NTASKS_PER_NODE")
    if tasks:
        return int(tasks.split("(")[0])
    if os.environ.get("LOCAL_WORLD_SIZE"):
        return int(os.environ["LOCAL_WORLD_SIZE"])
    return "auto"


def on_gpu(accelerator: str) -> bool:
    """Whether training runs on an NVIDIA GPU: `gpu` or `cuda`, or `auto` with one present."""
    if accelerator in ("gpu", "cuda"):
        return True
    if accelerator != "auto":
        return False
    import torch

    return torch.cuda.is_available()


def gpu_precision() -> str:
    """bf16 mixed precision where the GPU has it (Ampere and newer): fp32's range, so no loss scaling;
    else fp16 mixed precision, with Lightning's loss scaling."""
    import torch

    return "bf16-mixed" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "16-mixed"


def default_workers() -> int:
    """Data-loading processes for decoded images: one core stays with the training loop; more than 8 rarely
    help one GPU."""
    return max(1, min(8, len(os.sched_getaffinity(0)) - 1))


def writable_dir(directory: str) -> str:
    """`directory`, once it is known to be writable (created if needed); else OutputDirectoryError with the
    fix (raised inside Hydra's config resolution, it reaches the user as one message: cli.py)."""
    from .utils.output_checks import check_writable

    check_writable(Path(directory))
    return directory


RESOLVERS = {
    "project_root": (lambda: str(PROJECT_ROOT), False),
    # use_cache: one value per config, so every interpolation of the run directory agrees.
    "run_suffix": (unique_run_suffix, True),
    "wandb_offline": (wandb_should_run_offline, False),
    "tracker_group": (tracker_group, False),
    "tracker_run_name": (tracker_run_name, False),
    "cluster_nodes": (cluster_nodes, False),
    "cluster_devices_per_node": (cluster_devices_per_node, False),
    "writable_dir": (writable_dir, True),
    "on_gpu": (on_gpu, False),
    "gpu_precision": (gpu_precision, False),
    "default_workers": (default_workers, False),
    "negate": (lambda value: not value, False),
}


def register_resolvers() -> None:
    """Register the resolvers of RESOLVERS (`${project_root:}`, `${on_gpu:gpu}`, ...) once."""
    for name, (resolver, use_cache) in RESOLVERS.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver, use_cache=use_cache)


def compose_run_config(config_name: str, overrides: list[str], log_dir: Path) -> DictConfig:
    """What `python -m <package>.<config_name> <overrides>` would run, with its run directory under
    `log_dir`, for calling an entry point's function in-process (tests, benchmarks)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.hydra_config import HydraConfig

    register_resolvers()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(
            config_name,
            overrides=[*with_run_options_forced(config_name, overrides), f"paths.log_dir={log_dir}"],
            return_hydra_config=True,
        )
    output_dir = Path(cfg.hydra.run.dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    HydraConfig().set_config(cfg)
    with open_dict(cfg):
        cfg.paths.output_dir = str(output_dir)
        del cfg["hydra"]  # Hydra's own settings: kept by HydraConfig, as during a real run
    return cfg
