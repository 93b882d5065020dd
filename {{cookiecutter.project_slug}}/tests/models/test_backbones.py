"""Where the backbone's starting weights come from: ImageNet, a local file, or nowhere."""

from urllib.error import URLError

import pytest
import torch
import torchvision.models._api
from torchvision.models import resnet18

from {{ cookiecutter.package_name }}.errors import DataError
from {{ cookiecutter.package_name }}.models.backbones import build_resnet18_backbone


def test_random_initialisation_outputs_512_features():
    backbone = build_resnet18_backbone(None)
    assert backbone(torch.zeros(2, 3, 32, 32)).shape == (2, 512)


def test_imagenet_weights_offline_fail_fast_with_the_ways_forward(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty cache, so torchvision must download

    def offline(*args, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torchvision.models._api, "load_state_dict_from_url", offline)
    with pytest.raises(DataError) as error:
        build_resnet18_backbone("DEFAULT")
    message = str(error.value)
    assert "model.weights=/path/to/resnet18-" in message
    assert "model.weights=null" in message


def test_a_local_weights_file_is_loaded_like_downloaded_imagenet_weights(tmp_path):
    # A torchvision ResNet18 state dict, classification layer included, as torchvision's files are.
    reference = resnet18(weights=None)
    torch.nn.init.constant_(reference.conv1.weight, 0.5)
    path = tmp_path / "resnet18-local.pth"
    torch.save(reference.state_dict(), path)

    backbone = build_resnet18_backbone(str(path))
    assert torch.equal(backbone.conv1.weight, reference.conv1.weight)
    assert torch.equal(backbone.layer4[1].bn2.running_var, reference.layer4[1].bn2.running_var)


def test_a_missing_weights_file_names_the_valid_choices(tmp_path):
    with pytest.raises(DataError, match="IMAGENET1K_V1, DEFAULT"):
        build_resnet18_backbone(str(tmp_path / "missing.pth"))


def test_a_lightning_checkpoint_is_not_mistaken_for_backbone_weights(tmp_path):
    path = tmp_path / "run.ckpt"
    torch.save({"state_dict": resnet18(weights=None).state_dict()}, path)
    with pytest.raises(ValueError, match="not a plain ResNet18 state dict"):
        build_resnet18_backbone(str(path))
