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


def register_resolvers() -> None:
    """Register the `${project_root:}`, `${run_suffix:}` and `${wandb_offline:}` resolvers (once)."""
    if not OmegaConf.has_resolver("project_root"):
        OmegaConf.register_new_resolver("project_root", lambda: str(PROJECT_ROOT))
    if not OmegaConf.has_resolver("run_suffix"):
        # use_cache: one value per config, so every interpolation of the run directory agrees.
        OmegaConf.register_new_resolver("run_suffix", unique_run_suffix, use_cache=True)
    if not OmegaConf.has_resolver("wandb_offline"):
        OmegaConf.register_new_resolver("wandb_offline", wandb_should_run_offline)
