"""The template's own code (hooks, tests) passes the same ruff rules it gives generated projects."""

import subprocess

from tests.conftest import ENV_BIN, TEMPLATE_DIR


def test_hooks_and_template_tests_pass_ruff():
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [str(ENV_BIN / "ruff"), *command, "hooks", "tests", "local_extensions.py"],
            cwd=TEMPLATE_DIR,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
