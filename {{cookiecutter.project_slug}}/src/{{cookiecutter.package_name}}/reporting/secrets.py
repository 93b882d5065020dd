"""Keep API keys and tokens out of everything a run writes: its record, its saved configs, its logs.

A value is secret when its key is named like one (`api_key`, `WANDB_API_KEY`, `hf_token`, `password`,
...). Wherever such a key is assigned (`key: value` in YAML, `key=value` in an override, a key of a
nested dict) its value is replaced by a marker, whatever its length; and the secret values themselves
(also those of secret environment variables) are masked wherever else they appear, e.g. in a git patch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..run_directory import HYDRA_FILES

REDACTED = "<redacted>"
# The key's last word decides: `wandb_api_key` and `HF_TOKEN` are secrets, `max_tokens` is not.
SECRET_KEY = re.compile(
    r"(^|[._-])(api[_-]?key|access[_-]?key|secret([_-]?key)?|token|auth[_-]?token|password|passwd|"
    r"credentials?|private[_-]?key)$",
    re.IGNORECASE,
)
# Shorter values are too likely to occur by chance in other text to be masked everywhere.
MIN_MASKED_LENGTH = 6
# `key=value` in overrides (also inside Hydra's comma-joined override_dirname), and `key: value` lines of
# YAML; the marker replaces the value.
OVERRIDE_ASSIGNMENT = re.compile(r"(?P<key>[+~]*[\w.-]+)(?P<sep>=)(?P<value>[^\s,\]\}'\"]+)")
YAML_ASSIGNMENT = re.compile(r"^(?P<key>[ \t-]*[\w.-]+)(?P<sep>:[ \t]+)(?P<value>\S.*)$", re.MULTILINE)


def is_secret_key(key: object) -> bool:
    return isinstance(key, str) and SECRET_KEY.search(key.lstrip("+~")) is not None


def secret_values_in(config: Any) -> set[str]:
    """Values of secret-named keys anywhere in a nested config, and in `key=value` override strings."""
    found: set[str] = set()
    if isinstance(config, Mapping):
        for key, value in config.items():
            if is_secret_key(key) and isinstance(value, str | int) and value not in (None, ""):
                found.add(str(value))
            else:
                found |= secret_values_in(value)
    elif isinstance(config, list | tuple):
        for item in config:
            found |= secret_values_in(item)
    elif isinstance(config, str) and "=" in config:
        key, value = config.split("=", 1)
        if is_secret_key(key) and value:
            found.add(value)
    return found


def environment_secrets() -> set[str]:
    return {value for name, value in os.environ.items() if is_secret_key(name) and value}


class SecretScrubber:
    """Masks a fixed set of secret values (from the config and the environment) in any text or object."""

    def __init__(self, values: Iterable[str]) -> None:
        # Longest first: a secret that contains another is masked whole.
        self.values = sorted((v for v in set(values) if len(v) >= MIN_MASKED_LENGTH), key=len, reverse=True)

    @classmethod
    def for_config(cls, config: Any) -> SecretScrubber:
        return cls(secret_values_in(config) | environment_secrets())

    def text(self, text: str) -> str:
        for assignment in (OVERRIDE_ASSIGNMENT, YAML_ASSIGNMENT):
            text = assignment.sub(self._redact_assignment, text)
        for value in self.values:
            text = text.replace(value, REDACTED)
        return text

    @staticmethod
    def _redact_assignment(match: re.Match) -> str:
        if not is_secret_key(match["key"].strip(" \t-")):
            return match[0]
        return f"{match['key']}{match['sep']}{REDACTED}"

    def data(self, value: Any) -> Any:
        """A copy of nested dicts/lists with secret-named keys redacted and secret values masked."""
        if isinstance(value, Mapping):
            return {
                key: REDACTED if is_secret_key(key) and item not in (None, "") else self.data(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def scrub_files(self, paths: Iterable[Path]) -> None:
        """Rewrite text files in place without the secrets (e.g. the configs Hydra saved before the run)."""
        for path in paths:
            if not path.is_file():
                continue
            original = path.read_text(encoding="utf-8")
            cleaned = self.text(original)
            if cleaned != original:
                path.write_text(cleaned, encoding="utf-8")

    def scrub_hydra_outputs(self, output_dir: Path, sweep_dir: Path | None = None) -> None:
        """Hydra writes the full config and the command line into `<run>/.hydra/` before the run starts,
        and a multirun's whole config into `<sweep>/multirun.yaml`."""
        paths = [Path(output_dir) / ".hydra" / name for name in HYDRA_FILES]
        if sweep_dir is not None:
            paths.append(Path(sweep_dir) / "multirun.yaml")
        self.scrub_files(paths)
