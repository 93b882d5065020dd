"""Reading a run's data and model options back (reporting/run_configuration.py), on plain configs."""

import pytest
from omegaconf import OmegaConf

from {{ cookiecutter.package_name }}.errors import ConfigError
from {{ cookiecutter.package_name }}.reporting.run_configuration import (
    apply,
    parse,
    refuse_masked_values,
)


def test_an_option_merges_into_the_runs_section_as_hydra_would():
    cfg = OmegaConf.create({"data": {"transforms": {"size": 32, "flip": True}, "drop": ["a"]}})
    for override in parse(["data.transforms={size:64}", "++data.batch_size=8", "~data.drop"]):
        apply(cfg, override)
    assert OmegaConf.to_container(cfg.data) == {"transforms": {"size": 64, "flip": True}, "batch_size": 8}


def test_a_secret_masked_in_the_record_must_be_given_again():
    with pytest.raises(
        ConfigError, match=r"data.hub.token was a secret, .* pass it again, data.hub.token=\.\.\."
    ):
        refuse_masked_values({"path": "x.csv", "hub": {"token": "<redacted>"}}, "data")
