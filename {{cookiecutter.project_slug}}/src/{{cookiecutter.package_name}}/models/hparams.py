"""Hyperparameters as checkpoints must hold them."""

from collections.abc import Mapping

from omegaconf import DictConfig, OmegaConf


def as_plain_dict(config: Mapping | None) -> dict | None:
    """Checkpoints must hold plain containers only, so they load with torch.load(weights_only=True)."""
    if isinstance(config, DictConfig):
        return OmegaConf.to_container(config, resolve=True)
    return None if config is None else dict(config)
