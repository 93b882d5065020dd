"""The base every model shares. A training step logs cheaply without changing what is logged: the epoch's loss
is the batch-size-weighted mean of every step's loss, and step losses reach the logger on the steps Lightning
writes. Both models run the same steps, log the same keys, fill the test confusion matrix, and offer what
evaluation, reporting and deployment use of them (`TrainedModel`)."""

from pathlib import Path

import pandas as pd
import pytest
import torch
from lightning.pytorch import Callback, Trainer
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, TensorDataset

from {{ cookiecutter.package_name }}.models import base
from {{ cookiecutter.package_name }}.models.base import BaseModel, TrainedModel
from {{ cookiecutter.package_name }}.models.image_classifier import ImageClassifier
from {{ cookiecutter.package_name }}.models.tabular_mlp import TabularMLP

OPTIMIZER = {"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.05}


class StepLosses(Callback):
    def __init__(self) -> None:
        self.losses: list[float] = []
        self.batch_sizes: list[int] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        self.losses.append(float(outputs["loss"]))
        self.batch_sizes.append(len(batch[1]))


class StopSignalledEveryEpoch(Callback):
    """What early stopping does before `min_epochs` is reached: Lightning goes on, logging every step."""

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        trainer.should_stop = trainer.current_epoch > 0


def fit(
    bare_trainer, tmp_path: Path, callbacks: list[Callback], **trainer_options
) -> tuple[Trainer, pd.DataFrame]:
    """Two or more epochs over 22 rows in batches of 4 (the last batch: 2 rows); the logger's rows."""
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(22, 8), torch.randn(22))
    model = TabularMLP(8, "regression", OPTIMIZER, preprocessing={"target_mean": 0.0, "target_std": 1.0})
    trainer = bare_trainer(
        log_every_n_steps=4, logger=CSVLogger(tmp_path), callbacks=callbacks, **trainer_options
    )
    trainer.fit(model, DataLoader(data, batch_size=4))
    return trainer, pd.read_csv(next(tmp_path.rglob("metrics.csv")))


def test_the_epoch_loss_is_the_mean_of_every_step_and_step_losses_go_to_the_logger_every_n(
    bare_trainer, tmp_path
):
    steps = StepLosses()
    trainer, logged = fit(bare_trainer, tmp_path, [steps], max_epochs=2)

    losses, sizes = torch.tensor(steps.losses), torch.tensor(steps.batch_sizes, dtype=torch.float)
    second_epoch = slice(6, 12)  # the last batch of each epoch weighs half as much as the others
    expected = (losses[second_epoch] * sizes[second_epoch]).sum() / sizes[second_epoch].sum()
    assert float(trainer.callback_metrics["train/loss"]) == pytest.approx(float(expected), rel=1e-5)

    step_rows = logged.dropna(subset=["train/loss_step"])
    # Lightning writes a step's metrics when (step + 1) is a multiple of log_every_n_steps: 3, 7 and 11.
    assert step_rows["step"].tolist() == [3, 7, 11]
    assert step_rows["train/loss_step"].tolist() == pytest.approx([steps.losses[i] for i in (3, 7, 11)])
    epoch_rows = logged.dropna(subset=["train/loss"])
    assert len(epoch_rows) == 2 and epoch_rows["train/loss"].iloc[-1] == pytest.approx(float(expected))


def test_every_step_lightning_writes_has_its_own_loss(bare_trainer, tmp_path):
    steps = StepLosses()
    _, logged = fit(bare_trainer, tmp_path, [steps, StopSignalledEveryEpoch()], max_epochs=5, min_epochs=3)
    step_rows = logged.dropna(subset=["train/loss_step"])
    # Epoch 0 every 4 steps, then every step of epochs 1 and 2 (a stop is signalled, min_epochs holds on).
    assert step_rows["step"].tolist() == [3, *range(6, 18)]
    expected = [steps.losses[step] for step in step_rows["step"]]
    assert step_rows["train/loss_step"].tolist() == pytest.approx(expected)


@pytest.mark.parametrize("limit", [None, 5])
@pytest.mark.parametrize("bound", ["steps", "values"])
def test_training_metrics_updated_a_few_steps_at_a_time_cover_every_example_once(
    bare_trainer, monkeypatch, limit, bound
):
    """Here every 2 steps (2 kept steps, or 8 kept output values: 2 batches of 4), over 6 steps whose last
    has 2 rows (or the first 5, limit_train_batches=5): 3 updates either way."""
    monkeypatch.setattr(base, "TRAIN_METRIC_STEPS", 2 if bound == "steps" else 1000)
    monkeypatch.setattr(base, "TRAIN_METRIC_VALUES", 8 if bound == "values" else 1000)
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(22, 8), torch.randn(22))
    frozen = {**OPTIMIZER, "lr": 0.0}  # the weights stay: every step predicts as the trained model does
    model = TabularMLP(8, "regression", frozen, preprocessing={"target_mean": 0.0, "target_std": 1.0})
    updates = []
    update = model.train_metrics.update
    monkeypatch.setattr(model.train_metrics, "update", lambda *args: updates.append(update(*args)))
    trainer = bare_trainer(max_epochs=1, limit_train_batches=limit)
    trainer.fit(model, DataLoader(data, batch_size=4))
    assert len(updates) == 3

    inputs, targets = (tensor[: 4 * limit if limit else None] for tensor in data.tensors)
    with torch.no_grad():
        outputs = model(inputs)
    expected = model.evaluation_metrics()
    expected.update(model.predictions(outputs), model.target_values(targets))
    for name, value in expected.compute().items():
        assert float(trainer.callback_metrics[f"train/{name}"]) == pytest.approx(float(value), rel=1e-5)
    loss = model.loss_of(outputs, targets)  # the mean over examples, as the epoch's loss is
    assert float(trainer.callback_metrics["train/loss"]) == pytest.approx(float(loss), rel=1e-5)


# What the base owns: a model that defines one of these again has copied the loop's bookkeeping back.
BOOKKEEPING = {
    "training_step", "validation_step", "test_step", "_shared_step", "log_training_step", "logs_this_step",
    "update_train_metrics", "on_train_batch_end", "on_test_epoch_start", "on_test_epoch_end",
    "configure_optimizers", "evaluation_metrics",
}  # fmt: skip


def three_class_model(kind: str) -> tuple[BaseModel, TensorDataset]:
    """The image or table model, with a small three-class data set of its kind: 12 examples, 4 per class."""
    torch.manual_seed(0)
    labels = torch.arange(12) % 3
    if kind == "image":
        return ImageClassifier(3, OPTIMIZER), TensorDataset(torch.randn(12, 3, 32, 32), labels)
    model = TabularMLP(5, "classification", OPTIMIZER, class_names=["a", "b", "c"])
    return model, TensorDataset(torch.randn(12, 5), labels)


@pytest.mark.parametrize("model_class", [ImageClassifier, TabularMLP])
def test_models_leave_the_steps_metrics_and_optimizers_to_the_base(model_class):
    assert issubclass(model_class, BaseModel)
    assert sorted(BOOKKEEPING & vars(model_class).keys()) == []


@pytest.mark.parametrize("kind", ["image", "table"])
def test_both_models_log_the_same_keys_and_fill_the_test_confusion_matrix(bare_trainer, tmp_path, kind):
    model, data = three_class_model(kind)
    trainer = bare_trainer(max_epochs=1, log_every_n_steps=1, logger=CSVLogger(tmp_path))
    trainer.fit(model, DataLoader(data, batch_size=4), DataLoader(data, batch_size=6))
    trainer.test(model, DataLoader(data, batch_size=5), verbose=False)

    logged = pd.read_csv(next(tmp_path.rglob("metrics.csv")))
    metrics = ["acc", "f1", "auroc"] if kind == "table" else ["acc", "f1"]
    expected = {
        "train/loss_step",
        *(f"{stage}/{name}" for stage in ("train", "val", "test") for name in ["loss", *metrics]),
    }
    assert set(logged.columns) - {"epoch", "step"} == expected
    assert logged["train/loss_step"].notna().sum() == 3  # every step of the epoch: log_every_n_steps=1
    # Rows are true classes: each holds the 4 test examples of its class, however they were predicted.
    assert model.test_confusion_matrix.shape == (3, 3)
    assert model.test_confusion_matrix.sum(dim=1).tolist() == [4, 4, 4]
    assert float(trainer.callback_metrics["test/acc"]) == pytest.approx(
        float(model.test_confusion_matrix.diagonal().sum() / 12)
    )


def test_a_regression_model_has_no_confusion_matrix(bare_trainer):
    model = TabularMLP(8, "regression", OPTIMIZER, preprocessing={"target_mean": 0.0, "target_std": 1.0})
    data = TensorDataset(torch.randn(6, 8), torch.randn(6))
    trainer = bare_trainer()
    trainer.test(model, DataLoader(data, batch_size=3), verbose=False)
    assert model.test_confusion is None and model.test_confusion_matrix is None
    assert {"test/loss", "test/rmse", "test/mae", "test/r2"} == set(trainer.callback_metrics)


def protocol_members(protocol: type) -> set[str]:
    return {
        name
        for name in [*vars(protocol), *protocol.__annotations__]
        if not name.startswith("_") or name == "__call__"
    }


@pytest.mark.parametrize("kind", ["image", "table"])
def test_both_models_offer_what_evaluation_reporting_and_deployment_use(kind):
    model, data = three_class_model(kind)
    members = protocol_members(TrainedModel)
    assert {"predictions", "evaluation_metrics", "test_confusion_matrix", "hparams", "eval"} <= members
    assert sorted(name for name in members if not hasattr(model, name)) == []
    assert model.hparams.class_names == (["a", "b", "c"] if kind == "table" else ["0", "1", "2"])
    inputs, labels = data.tensors
    probabilities = model.predictions(model(inputs))
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(12))
    metrics = model.evaluation_metrics()
    metrics.update(probabilities, model.target_values(labels))
    assert set(metrics.compute()) == {name.removeprefix("val/") for name in model.val_metrics}
