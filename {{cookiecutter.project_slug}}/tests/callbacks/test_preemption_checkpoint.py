"""What the exception checkpoint saves, and in which order: on SIGTERM, `last.ckpt` (where the resumed run
starts) before `on_exception.ckpt`, since the grace period before SIGKILL may not leave time for both;
after a crash, `on_exception.ckpt` only, so that the last good `last.ckpt` stays."""

from types import SimpleNamespace

import pytest
from lightning.pytorch.utilities.exceptions import SIGTERMException

from {{ cookiecutter.package_name }}.callbacks.preemption_checkpoint import PreemptionCheckpoint


@pytest.mark.parametrize(
    ("exception", "saved"),
    [(SIGTERMException(), ["last.ckpt", "on_exception.ckpt"]), (ValueError("a bug"), ["on_exception.ckpt"])],
)
def test_a_stop_saves_last_first_and_a_crash_leaves_it_alone(tmp_path, exception, saved):
    paths = []
    trainer = SimpleNamespace(
        sanity_checking=False, global_step=7, save_checkpoint=lambda path: paths.append(str(path))
    )
    PreemptionCheckpoint(str(tmp_path)).on_exception(trainer, None, exception)
    assert paths == [str(tmp_path / name) for name in saved]
