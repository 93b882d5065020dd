"""The Trainer's default profiler costs a hook nothing and times nothing; a real one is still one override
away."""

import pytest
from hydra.utils import instantiate
from lightning.pytorch.profilers import SimpleProfiler

from {{ cookiecutter.package_name }}.utils.profiler import NoProfiler


def test_no_profiler_hands_every_hook_the_same_no_op_context():
    profiler = NoProfiler()
    with profiler.profile("[Callback]ModelCheckpoint.on_train_batch_end"), profiler.profile("nested"):
        pass
    assert profiler.profile("one hook") is profiler.profile("another")
    assert profiler.summary() == ""


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [((), NoProfiler), (("trainer.profiler=simple",), SimpleProfiler), (("debug=profiler",), SimpleProfiler)],
)
def test_the_trainer_profiles_only_when_asked(make_config, overrides, expected):
    trainer = instantiate(make_config("train", *overrides).trainer, logger=False)
    assert type(trainer.profiler) is expected
