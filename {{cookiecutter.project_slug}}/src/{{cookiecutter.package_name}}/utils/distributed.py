"""Batch sizes across processes."""

from ..errors import ConfigError


def per_device_batch_size(global_batch_size: int, world_size: int) -> int:
    """Each of `world_size` processes loads this many examples per step, so together they make one
    global batch: the number that optimisation behaves by, whatever the hardware."""
    if global_batch_size % world_size:
        raise ConfigError(
            f"global_batch_size={global_batch_size} does not split evenly over {world_size} processes "
            f"(devices x nodes): choose a multiple of {world_size}, or set global_batch_size=null to use "
            "data.batch_size per process."
        )
    return global_batch_size // world_size
