"""Where the Hydra configs live, and the custom resolvers they use."""

import netrc
import os
import secrets
from pathlib import Path

from omegaconf import OmegaConf

# The project is installed in editable mode (`pip install -e .`), so the package sits at
# <root>/src/<package>/ and the configs next to it at <root>/configs/.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "configs"


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
    except (FileNotFoundError, netrc.NetrcParseError):
        return True


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


def writable_dir(directory: str) -> str:
    """`directory`, once it is known to be writable (created if needed); else a clear error with the fix."""
    from {{ cookiecutter.package_name }}.utils.output_checks import check_writable

    check_writable(Path(directory))
    return directory


RESOLVERS = {
    "project_root": (lambda: str(PROJECT_ROOT), False),
    # use_cache: one value per config, so every interpolation of the run directory agrees.
    "run_suffix": (unique_run_suffix, True),
    "wandb_offline": (wandb_should_run_offline, False),
    "cluster_nodes": (cluster_nodes, False),
    "cluster_devices_per_node": (cluster_devices_per_node, False),
    "writable_dir": (writable_dir, True),
}


def register_resolvers() -> None:
    """Register `${project_root:}`, `${run_suffix:}`, `${wandb_offline:}`, `${cluster_nodes:}` and
    `${cluster_devices_per_node:}` (once)."""
    for name, (resolver, use_cache) in RESOLVERS.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver, use_cache=use_cache)
