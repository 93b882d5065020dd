"""The MLP: its layers and initialisation, outputs per task, losses, class weights, vanishing gradients."""

import math

import pytest
import torch
from hydra.utils import instantiate
from lightning.pytorch import Trainer, seed_everything
from torch import nn

from {{ cookiecutter.package_name }}.callbacks.gradient_flow import GradientFlow
from {{ cookiecutter.package_name }}.models.mlp import build_mlp
from {{ cookiecutter.package_name }}.models.tabular_mlp import TabularMLP
from {{ cookiecutter.package_name }}.models.tabular_objectives import resolve_class_weights

OPTIMIZER = {"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.1}


def make_model(task="classification", classes=("a", "b", "c"), **options) -> TabularMLP:
    class_names = list(classes) if task == "classification" else None
    counts = [10] * len(classes) if task == "classification" else None
    return TabularMLP(8, task, OPTIMIZER, class_names=class_names, class_counts=counts, **options)


def test_layers_follow_the_configured_sizes_norm_and_dropout():
    network = build_mlp(5, [16, 8], 3, activation="gelu", dropout=0.2, batch_norm=True)
    assert [name for name, _ in network.named_children()] == ["hidden_1", "hidden_2", "output"]
    assert [type(layer) for layer in network.hidden_1] == [nn.Linear, nn.BatchNorm1d, nn.GELU, nn.Dropout]
    assert (network.hidden_2.linear.in_features, network.hidden_2.linear.out_features) == (16, 8)
    assert network(torch.randn(4, 5)).shape == (4, 3)


@pytest.mark.parametrize(
    ("activation", "expected_std"), [("relu", math.sqrt(2 / 400)), ("tanh", 5 / 3 * math.sqrt(2 / 800))]
)
def test_weights_are_initialised_for_the_activation(activation, expected_std):
    seed_everything(0)
    layer = build_mlp(400, [400], 1, activation=activation).hidden_1.linear
    # He: std sqrt(2 / fan_in); Xavier: gain * sqrt(2 / (fan_in + fan_out)), tanh's gain being 5/3.
    assert layer.weight.std().item() == pytest.approx(expected_std, rel=0.02)
    assert torch.count_nonzero(layer.bias) == 0


@pytest.mark.filterwarnings("ignore:You are trying to `self.log\\(\\)`")
@pytest.mark.parametrize(
    ("task", "classes", "loss", "outputs"),
    [
        ("regression", (), None, 1),
        ("classification", ("no", "yes"), None, 1),  # binary cross-entropy on a single logit
        ("classification", ("no", "yes"), "cross_entropy", 2),
        ("classification", ("a", "b", "c"), None, 3),
    ],
)
def test_outputs_and_loss_follow_the_task(task, classes, loss, outputs):
    model = make_model(task, classes, loss=loss)
    assert model.network.output.out_features == outputs
    batch = (torch.randn(6, 8), torch.zeros(6) if task == "regression" else torch.tensor([0, 1] * 3))
    assert model.training_step(batch, 0).ndim == 0
    if task == "classification":
        probabilities = model.predictions(model(batch[0]))
        assert probabilities.shape == (6, len(classes))
        torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(6))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"task": "regression", "classes": (), "loss": "cross_entropy"}, "does not suit regression"),
        ({"loss": "huber"}, "does not suit classification"),
        ({"loss": "bce"}, "model.loss=bce needs two classes, but the target has 3"),
        ({"activation": "swish"}, "model.activation='swish'"),
        ({"class_weights": [1.0, 2.0]}, "needs one positive weight per class (3)"),
        ({"task": "regression", "classes": (), "class_weights": "balanced"}, "classification only"),
    ],
)
def test_invalid_model_options_are_rejected_with_the_choices(options, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_model(**options)


def test_balanced_class_weights_favour_rare_classes():
    assert resolve_class_weights("balanced", 2, [30, 10]) == [40 / 60, 40 / 20]
    weighted = make_model(classes=("a", "b"), class_weights=[1.0, 3.0])
    assert weighted.loss.pos_weight.tolist() == [3.0]
    assert make_model(class_weights="balanced", loss=None).loss.weight.tolist() == [1.0, 1.0, 1.0]


def test_regression_metrics_are_in_the_targets_units():
    preprocessing = {"target_mean": 100.0, "target_std": 10.0}
    model = TabularMLP(8, "regression", OPTIMIZER, preprocessing=preprocessing)
    standardised = torch.tensor([[0.0], [1.5]])
    torch.testing.assert_close(model.predictions(standardised), torch.tensor([100.0, 115.0]))


def first_layer_gradient_norm(make_config, activation: str) -> float:
    cfg = make_config("train", f"experiment=vanishing_gradients_{activation}", "trainer=cpu")
    seed_everything(0)
    datamodule = instantiate(cfg.data)
    model = instantiate(cfg.model, **datamodule.model_arguments())
    trainer = Trainer(
        fast_dev_run=1,
        callbacks=[GradientFlow(log_every_n_steps=1)],
        accelerator="cpu",
        enable_progress_bar=False,
    )
    trainer.fit(model, datamodule=datamodule)
    return float(trainer.callback_metrics["grad_norm/hidden_1.linear"])


def test_a_deep_sigmoid_network_loses_its_gradients_where_relu_keeps_them(make_config):
    sigmoid = first_layer_gradient_norm(make_config, "sigmoid")
    relu = first_layer_gradient_norm(make_config, "relu")
    assert 0 < sigmoid < relu / 1000, (sigmoid, relu)
