"""Training end to end on every data source, and what a run leaves behind."""

import json
import logging
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torchvision.datasets.cifar
from hydra.utils import instantiate
from lightning.pytorch import seed_everything
from torchvision.datasets import CIFAR10

from {{ cookiecutter.package_name }}.errors import CheckpointError, ConfigError
from {{ cookiecutter.package_name }}.train import train
from {{ cookiecutter.package_name }}.utils.lightning_noise import RANK_ZERO_LOGGER


def write_fake_cifar10(root: Path, images_per_batch: int = 20) -> Path:
    """CIFAR-10's on-disk format (pickled dicts of uint8 rows), tiny, so no download is needed."""
    folder = root / CIFAR10.base_folder
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name, _ in CIFAR10.train_list + CIFAR10.test_list:
        batch = {
            "data": rng.integers(0, 256, (images_per_batch, 3 * 32 * 32), dtype=np.uint8),
            "labels": [i % 10 for i in range(images_per_batch)],
        }
        (folder / name).write_bytes(pickle.dumps(batch))
    meta = {"label_names": [f"class {i}" for i in range(10)]}
    (folder / CIFAR10.meta["filename"]).write_bytes(pickle.dumps(meta))
    return root


@pytest.fixture
def fake_cifar10(tmp_path, monkeypatch) -> Path:
    # The real files are checked against published MD5 sums, which fake files cannot match.
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *args: True)
    return write_fake_cifar10(tmp_path / "cifar10")


def data_overrides(source: str, image_folder: Path, fake_cifar10: Path) -> list[str]:
    return {
        "digits": ["data=digits"],
        "image_folder": ["data=image_folder", f"data.data_dir={image_folder}", "data.image_size=32"],
        "cifar10": ["data=cifar10", f"data.data_dir={fake_cifar10}", "data.num_workers=0"],
    }[source]


@pytest.mark.parametrize("source", ["digits", "image_folder", "cifar10"])
def test_fast_dev_run_trains_and_tests_each_data_source(make_config, image_folder, fake_cifar10, source):
    cfg = make_config("train", "debug=fdr", *data_overrides(source, image_folder, fake_cifar10))
    metrics = train(cfg)
    assert {"train/loss", "val/acc", "test/acc", "test/f1"} <= metrics.keys()
    written = json.loads((Path(cfg.paths.output_dir) / "metrics.json").read_text())
    assert written["metrics"]["test/acc"] == pytest.approx(metrics["test/acc"])
    assert (Path(cfg.paths.output_dir) / "confusion_matrix.csv").is_file()


@pytest.mark.parametrize("source", ["image_folder", "cifar10"])
def test_normalising_on_the_device_trains_and_tests_on_the_same_floats(
    make_config, image_folder, fake_cifar10, source
):
    """uint8 batches normalised once on the device (the GPU fast path, here on the CPU) give a run the
    same losses and test predictions as normalising every image in the workers."""
    overrides = ["debug=fdr", *data_overrides(source, image_folder, fake_cifar10)]
    on_device_config = make_config("train", *overrides, "data.normalise_on_device=true")
    datamodule = instantiate(on_device_config.data)
    datamodule.setup()
    assert next(iter(datamodule.train_dataloader()))[0].dtype == torch.uint8  # what the GPU would receive
    on_device = train(on_device_config)
    in_workers = train(make_config("train", *overrides, "data.normalise_on_device=false"))
    assert on_device.keys() == in_workers.keys() >= {"train/loss", "val/loss", "test/loss", "test/acc"}
    assert on_device == in_workers


@pytest.mark.parametrize(
    ("experiment", "explanation"),
    [("digits_resnet18", "integrated_gradients.png"), ("tabular_breast_cancer", "shap_values.csv")],
)
def test_a_pure_bf16_run_reports_and_explains_its_test_split(make_config, experiment, explanation):
    """`trainer.precision=bf16-true` leaves bf16 weights in the model that the report and the
    explanations use after training: they must not feed it float32 inputs."""
    cfg = make_config("train", "debug=fdr", f"experiment={experiment}", "trainer.precision=bf16-true")
    metrics = train(cfg)
    output_dir = Path(cfg.paths.output_dir)
    predictions = pd.read_csv(output_dir / "test_predictions.csv")
    assert predictions["correct"].mean() == pytest.approx(metrics["test/acc"])  # what the trainer tested
    assert (output_dir / "explanations" / explanation).is_file()


def test_a_run_keeps_best_and_last_checkpoints_that_load_safely(make_config, tiny_run):
    cfg = make_config("train", *tiny_run)
    metrics = train(cfg)
    checkpoints = Path(cfg.paths.output_dir) / "checkpoints"
    assert (checkpoints / "last.ckpt").is_file()
    best = json.loads((Path(cfg.paths.output_dir) / "metrics.json").read_text())["checkpoint"]
    assert Path(best).parent == checkpoints
    assert "val/acc_best" in metrics
    # weights_only=True refuses anything but tensors and plain containers: no pickled code runs.
    checkpoint = torch.load(best, map_location="cpu", weights_only=True)
    hyperparameters = checkpoint["hyper_parameters"]
    assert hyperparameters["class_names"] == [str(d) for d in range(10)]
    assert type(hyperparameters["optimizer"]) is dict


def test_last_checkpoint_follows_the_final_epoch_even_when_it_is_not_the_best(make_config, tiny_run):
    # Monitoring the epoch number, lowest first, makes the first epoch the best one for certain.
    overrides = [
        "trainer.max_epochs=3",
        "monitor.metric=epoch",
        "monitor.mode=min",
        "callbacks.early_stopping=null",
    ]
    cfg = make_config("train", *tiny_run, *overrides)
    train(cfg)
    checkpoints = Path(cfg.paths.output_dir) / "checkpoints"
    last = torch.load(checkpoints / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["epoch"] == 2
    assert [path.name for path in checkpoints.glob("epoch_*.ckpt")] == ["epoch_000.ckpt"]


def test_a_run_shows_none_of_lightnings_unactionable_messages(
    make_config, tiny_run, recwarn, lightning_messages
):
    train(make_config("train", *tiny_run))
    warned = [str(warning.message) for warning in recwarn]
    assert not [m for m in warned if "was called without a model" in m or "no last checkpoint" in m]
    assert not [w for w in recwarn if "_pytree" in w.filename]
    assert lightning_messages  # Lightning's other messages still show
    assert not [record for record in lightning_messages if "Tip" in str(record.msg)]
    assert not logging.getLogger(RANK_ZERO_LOGGER).filters  # and the filter is gone after the run
    outside_a_run = '.fit(ckpt_path="last") is set, but there is no last checkpoint available.'
    with pytest.warns(UserWarning, match="no last checkpoint"):  # warnings are left as they were
        warnings.warn(outside_a_run, stacklevel=1)


def test_training_without_a_logger(make_config, tiny_run):
    cfg = make_config("train", *tiny_run, "logger=none")
    assert "test/acc" in train(cfg)
    assert not (Path(cfg.paths.output_dir) / "csv").exists()


def test_the_training_seed_does_not_change_the_data_split(make_config):
    test_sets = []
    for seed in (1, 2):
        cfg = make_config("train", f"seed={seed}")
        seed_everything(cfg.seed)
        datamodule = instantiate(cfg.data)
        datamodule.setup("fit")
        test_sets.append(datamodule.test_set.tensors[0])
    assert torch.equal(*test_sets)


def test_asking_for_a_missing_gpu_fails_before_any_work(make_config, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="needs an NVIDIA GPU.*trainer=cpu"):
        train(make_config("train", "trainer=gpu"))


def test_two_runs_with_the_same_seed_give_identical_metrics(make_config, tiny_run):
    overrides = [*tiny_run, "seed=7", "trainer.deterministic=true"]
    first = train(make_config("train", *overrides))
    second = train(make_config("train", *overrides))
    assert first == second


def test_resuming_from_last_continues_the_killed_run(make_config, tiny_run, recwarn):
    first = make_config("train", *tiny_run)
    train(first)
    checkpoints = Path(first.paths.output_dir) / "checkpoints"
    before = torch.load(checkpoints / "last.ckpt", map_location="cpu", weights_only=True)

    resumed = make_config("train", *tiny_run, "trainer.max_epochs=2", "ckpt_path=last")
    metrics = train(resumed)
    # The resumed run keeps its checkpoints with the interrupted run's, so the best one stays comparable.
    after = torch.load(checkpoints / "last.ckpt", map_location="cpu", weights_only=True)
    assert after["epoch"] == 1
    assert after["global_step"] == 2 * before["global_step"]
    assert not any("dirpath has changed" in str(warning.message) for warning in recwarn)
    best_checkpoint_key = next(
        k for k in after["callbacks"] if k.startswith("ModelCheckpoint{'monitor': 'val/acc'")
    )
    checkpoint_state = after["callbacks"][best_checkpoint_key]
    assert len(checkpoint_state["best_k_models"]) == 1
    assert metrics["val/acc_best"] == pytest.approx(float(checkpoint_state["best_model_score"]))


def test_a_run_restarted_in_its_own_directory_continues_from_its_last_checkpoint(make_config, tiny_run):
    first = make_config("train", *tiny_run)
    train(first)
    # What a requeued cluster job does: the same command, in the same run directory, without ckpt_path.
    restarted = make_config(
        "train", *tiny_run, "trainer.max_epochs=2", f"hydra.run.dir={first.paths.output_dir}"
    )
    assert restarted.paths.output_dir == first.paths.output_dir
    train(restarted)
    last = torch.load(Path(first.paths.output_dir) / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["epoch"] == 1  # epoch 0 came from the first run, epoch 1 from the restart


def test_resuming_without_any_checkpoint_is_an_error(make_config, tiny_run):
    cfg = make_config("train", *tiny_run, "ckpt_path=last")
    with pytest.raises(CheckpointError, match="no run under .* has a checkpoints/last.ckpt"):
        train(cfg)


def test_resuming_from_a_missing_file_is_an_error(make_config, tmp_path, tiny_run):
    cfg = make_config("train", *tiny_run, f"ckpt_path={tmp_path / 'nope.ckpt'}")
    with pytest.raises(CheckpointError, match="nope.ckpt does not exist"):
        train(cfg)
