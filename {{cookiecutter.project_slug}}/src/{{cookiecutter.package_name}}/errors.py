"""The problems a user can cause and fix, each with the exit code a command ends with (cli.py prints
their message as one `Error: ...` block, without a traceback). Anything else is a bug: it keeps its
traceback and exits with 1.

Each kind also derives from the built-in exception it refines (a bad value is a ValueError, a missing file
a FileNotFoundError), so code that handles the built-in one keeps handling it.
"""

# Documented in the README's "When something goes wrong"; tests/test_errors.py checks that table.
BUG_EXIT_CODE = 1


class UserError(Exception):
    """A problem the user can fix; the message says what is wrong, then how to fix it."""

    exit_code = BUG_EXIT_CODE


class ConfigError(UserError, ValueError):
    """A command line or configuration that cannot run: a bad, missing or contradictory option."""

    exit_code = 2


class DataError(UserError, ValueError):
    """Data that cannot be used: a missing or unreadable file, a table or image folder that does not fit."""

    exit_code = 3


class CheckpointError(UserError, FileNotFoundError):
    """A checkpoint that is missing, or that does not fit the data or the configuration it is used with."""

    exit_code = 4


class OutputError(UserError, OSError):
    """Outputs that cannot be written: a folder without permission or space, or one that is not empty."""

    exit_code = 5


class TrainingError(UserError, RuntimeError):
    """Training that cannot go on: a non-finite loss, or a sweep whose trials failed."""

    exit_code = 6


class ExportError(UserError, ValueError):
    """A model bundle that would not be trustworthy: ONNX Runtime disagrees with PyTorch."""

    exit_code = 7


# Hydra refuses a command line it cannot compose (an unknown option or group, a bad override) before the
# run starts: a usage error too.
COMPOSITION_EXIT_CODE = ConfigError.exit_code
