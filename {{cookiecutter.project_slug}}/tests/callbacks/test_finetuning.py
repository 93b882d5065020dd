"""A frozen backbone stays frozen, batch-norm statistics included, until the schedule unfreezes it."""

from types import SimpleNamespace

import pytest
import torch

from {{ cookiecutter.package_name }}.callbacks.backbone_finetuning import BackboneFinetuning
from {{ cookiecutter.package_name }}.errors import ConfigError
from {{ cookiecutter.package_name }}.models.image_classifier import ImageClassifier

OPTIMIZER = {"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.1}


def running_means(module: torch.nn.Module) -> list[torch.Tensor]:
    return [m.running_mean.clone() for m in module.modules() if isinstance(m, torch.nn.BatchNorm2d)]


def test_a_frozen_backbone_keeps_its_weights_and_batch_norm_statistics():
    model = ImageClassifier(num_classes=3, optimizer=OPTIMIZER, freeze_backbone=True)
    BackboneFinetuning(unfreeze_backbone_at_epoch=5).freeze_before_training(model)
    weights_before = model.backbone.conv1.weight.clone()
    statistics_before = running_means(model.backbone)
    optimizer = model.configure_optimizers()["optimizer"]
    assert sum(len(group["params"]) for group in optimizer.param_groups) == 2  # the head's weight and bias

    model.train()
    model.on_train_epoch_start()
    loss = model.loss(model(torch.randn(4, 3, 32, 32)), torch.tensor([0, 1, 2, 0]))
    loss.backward()
    optimizer.step()

    assert torch.equal(model.backbone.conv1.weight, weights_before)
    assert all(
        torch.equal(a, b) for a, b in zip(running_means(model.backbone), statistics_before, strict=True)
    )


def test_an_unfrozen_backbone_trains_again():
    model = ImageClassifier(num_classes=3, optimizer=OPTIMIZER, freeze_backbone=True)
    model.backbone.requires_grad_(True)  # what the schedule does at unfreeze_backbone_at_epoch
    model.train()
    model.on_train_epoch_start()
    assert model.backbone.training


def test_the_schedule_refuses_multi_device_training():
    trainer = SimpleNamespace(world_size=2)
    with pytest.raises(ConfigError, match="one device"):
        BackboneFinetuning().setup(trainer, ImageClassifier(num_classes=2, optimizer=OPTIMIZER), "fit")
