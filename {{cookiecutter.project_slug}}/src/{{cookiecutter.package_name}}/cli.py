"""How every command meets the command line: `@command("train")` makes a function of the composed config
the `main()` that `python -m <package>.train` runs, and `user_errors_as_messages()` turns a problem the
user can fix (errors.py) into one `Error: <what is wrong>. <how to fix it>.` block on stderr and the exit
code of its kind. A bug keeps its full traceback (exit code 1); `HYDRA_FULL_ERROR=1` shows the traceback
of anything.
"""

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import CompactHydraException, HydraException, InstantiationException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from .config import CONFIG_DIR, register_resolvers, with_run_options_forced
from .errors import BUG_EXIT_CODE, COMPOSITION_EXIT_CODE, UserError

FULL_ERROR = "HYDRA_FULL_ERROR"
# Set next to HYDRA_FULL_ERROR by this module, so that processes started from here (DDP workers, launchers),
# which inherit both, still tell a user's HYDRA_FULL_ERROR=1 from this module's.
FULL_ERROR_SET_HERE = f"{__package__.upper()}_SET_HYDRA_FULL_ERROR"


def command(config_name: str) -> Callable[[Callable[[DictConfig], Any]], Callable[[], None]]:
    """`@command("eval")` over `def main(cfg): ...`: Hydra composes `configs/eval.yaml` with the command
    line, and user errors end the command as one message (see `user_errors_as_messages`)."""

    def decorate(task: Callable[[DictConfig], Any]) -> Callable[[], None]:
        register_resolvers()

        @functools.wraps(task)
        def run(cfg: DictConfig) -> Any:
            if HydraConfig.get().mode == RunMode.MULTIRUN:
                return task(cfg)  # the sweep records a trial's failure and names its overrides
            # Caught here, before Hydra adds its "Error executing job with overrides" line above it.
            with user_errors_as_messages():
                return task(cfg)

        hydra_main = hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name=config_name)(run)

        @functools.wraps(task)
        def main() -> None:
            sys.argv[1:] = with_run_options_forced(config_name, sys.argv[1:])
            with hydra_reraising(), user_errors_as_messages():
                hydra_main()

        return main

    return decorate


@contextmanager
def user_errors_as_messages() -> Iterator[None]:
    """Inside the block, a user error (or Hydra refusing the command line) exits with its message and code;
    any other exception passes through with its traceback, and so does everything with HYDRA_FULL_ERROR=1."""
    try:
        yield
    except Exception as error:
        message, exit_code = user_problem(error)
        if message is None or user_asked_for_tracebacks():
            raise
        print(f"Error: {message}", file=sys.stderr)
        raise SystemExit(exit_code) from None


@contextmanager
def hydra_reraising() -> Iterator[None]:
    """Hydra prints an exception's traceback itself and exits with 1, unless HYDRA_FULL_ERROR is set: then
    it re-raises, so that the exception reaches `user_errors_as_messages`."""
    if user_asked_for_tracebacks():
        yield
        return
    os.environ.update({FULL_ERROR: "1", FULL_ERROR_SET_HERE: "1"})
    try:
        yield
    finally:
        os.environ.pop(FULL_ERROR, None)
        os.environ.pop(FULL_ERROR_SET_HERE, None)


def user_asked_for_tracebacks() -> bool:
    return os.environ.get(FULL_ERROR) == "1" and FULL_ERROR_SET_HERE not in os.environ


def user_problem(error: BaseException) -> tuple[str | None, int]:
    """(message, exit code) of a user error anywhere in the chain of `error` (Hydra and OmegaConf wrap
    what a config's class raises), or of Hydra refusing the command line; (None, 1) for a bug."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, UserError):
            return str(seen), seen.exit_code
        # OmegaConf re-raises a resolver's error as its own with the original only as the context; any other
        # exception raised while one was being handled is an error of its own (a bug in the handling).
        wrapper = isinstance(seen, (HydraException, OmegaConfBaseException))
        seen = seen.__cause__ or (seen.__context__ if wrapper else None)
    if isinstance(error, CompactHydraException) and not isinstance(error, InstantiationException):
        return composition_message(error), COMPOSITION_EXIT_CODE
    return None, BUG_EXIT_CODE


def composition_message(error: CompactHydraException) -> str:
    """Hydra's own sentence about the command line, with OmegaConf's detail where it gave one."""
    detail = error.__cause__
    message = str(error)
    if isinstance(detail, OmegaConfBaseException) and str(detail) not in message:
        message = f"{message}\n{detail}"
    return f"{message}\nSee the options with --help, and the composed config with --cfg job."
