"""Lightning's messages that say nothing a run of this project can act on, kept out of its output so that
the ones that matter stand out:
- with an OnExceptionCheckpoint among the callbacks, Lightning reads "no checkpoint" as "the last one" and
  warns twice that it looked and found none (Lightning issue #19827): whether a run resumes is decided by
  `ckpt_path` before `fit` (train.py);
- an advertisement for Lightning's cloud logger, at every Trainer;
- a deprecation inside Lightning's own code (its `_pytree` helper on recent PyTorch), for its authors.
Every other warning and message is left as it is."""

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

UNACTIONABLE_WARNINGS = (
    r"`\.fit\(ckpt_path=None\)` was called without a model",
    r'\.fit\(ckpt_path="last"\) is set, but there is no last checkpoint available',
)
INTERNAL_DEPRECATIONS = r"lightning\.pytorch\.utilities\._pytree"
ADVERTISEMENT = "💡 Tip:"
RANK_ZERO_LOGGER = "lightning.pytorch.utilities.rank_zero"


def not_an_advertisement(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(ADVERTISEMENT)


@contextmanager
def quiet_lightning() -> Iterator[None]:
    """Within: the messages above are dropped."""
    logger = logging.getLogger(RANK_ZERO_LOGGER)
    with warnings.catch_warnings():
        for message in UNACTIONABLE_WARNINGS:
            warnings.filterwarnings("ignore", message=message)
        warnings.filterwarnings("ignore", category=FutureWarning, module=INTERNAL_DEPRECATIONS)
        logger.addFilter(not_an_advertisement)
        try:
            yield
        finally:
            logger.removeFilter(not_an_advertisement)
