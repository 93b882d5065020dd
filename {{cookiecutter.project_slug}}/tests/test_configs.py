"""Every config group option and experiment composes, and its values resolve."""

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from {{ cookiecutter.package_name }}.config import CONFIG_DIR, wandb_should_run_offline
from {{ cookiecutter.package_name }}.config_checks import check_config
from {{ cookiecutter.package_name }}.utils.distributed import per_device_batch_size

GROUPS = ["data", "model", "optimizer", "scheduler", "trainer", "callbacks", "logger", "debug", "experiment"]
OPTIONS = [(group, path.stem) for group in GROUPS for path in sorted((CONFIG_DIR / group).glob("*.yaml"))]


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_group_option_composes_resolves_and_passes_the_checks(make_config, group, option):
    # Your own table is the one thing these options require (data.path, data.target: ???).
    own_table = ["data.path=my.csv", "data.target=price"] if option == "tabular" else []
    cfg = make_config("train", f"{group}={option}", *own_table)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    assert resolved["task_name"]
    assert Path(resolved["paths"]["output_dir"]).is_dir()
    check_config(cfg)  # no false alarm on anything the project ships


def test_experiments_select_what_they_promise(make_config):
    pretrain = make_config("train", "experiment=transfer_digits_pretrain")
    finetune = make_config("train", "experiment=transfer_digits_finetune")
    assert list(pretrain.data.classes) == [0, 1, 2, 3, 4]
    assert list(finetune.data.classes) == [5, 6, 7, 8, 9]
    assert finetune.model.weights == pretrain.backbone_export_path
    assert finetune.callbacks.backbone_finetuning.unfreeze_backbone_at_epoch == 2


@pytest.mark.parametrize("search", ["digits_optuna", "tabular_optuna"])
def test_sweep_trials_skip_explanations_that_single_runs_write(make_config, search):
    assert make_config("train").explain.after_training is True
    sweep = make_config("train", f"hparams_search={search}")
    assert sweep.explain.after_training is False
    check_config(sweep)


def test_runs_started_in_the_same_second_get_different_directories(make_config):
    first = Path(make_config("train").paths.output_dir).name
    second = Path(make_config("train").paths.output_dir).name
    # <date>_<time>_<suffix>: the random suffix alone keeps them apart, whatever the clock says.
    assert first.rsplit("_", 1)[1] != second.rsplit("_", 1)[1]


def test_wandb_runs_offline_without_credentials(monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "missing-netrc"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert wandb_should_run_offline()
    monkeypatch.setenv("WANDB_API_KEY", "not-a-real-key")
    assert not wandb_should_run_offline()
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert wandb_should_run_offline()


@pytest.mark.parametrize(
    ("environment", "nodes", "devices"),
    [
        ({}, 1, "auto"),
        ({"SLURM_JOB_NUM_NODES": "2", "SLURM_NTASKS_PER_NODE": "4(x2)"}, 2, 4),
        ({"WORLD_SIZE": "16", "LOCAL_WORLD_SIZE": "8"}, 2, 8),
    ],
)
def test_multinode_takes_its_shape_from_the_cluster(make_config, monkeypatch, environment, nodes, devices):
    for variable in (
        "SLURM_JOB_NUM_NODES",
        "SLURM_NNODES",
        "SLURM_NTASKS_PER_NODE",
        "WORLD_SIZE",
        "LOCAL_WORLD_SIZE",
    ):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    trainer = make_config("train", "trainer=multinode").trainer
    assert (trainer.num_nodes, trainer.devices, trainer.strategy) == (nodes, devices, "ddp")


def test_the_global_batch_splits_evenly_over_processes_or_is_refused():
    assert per_device_batch_size(256, 8) == 32
    with pytest.raises(ValueError, match="global_batch_size=100 does not split evenly over 8 processes"):
        per_device_batch_size(100, 8)


@pytest.mark.parametrize("launcher", ["slurm", "local_pool", "submitit_local"])
def test_launcher_configs_compose(make_config, launcher):
    cfg = make_config("train", f"hydra/launcher={launcher}")
    assert cfg.task_name == "train"
