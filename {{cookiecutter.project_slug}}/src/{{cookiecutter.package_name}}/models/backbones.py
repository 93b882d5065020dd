"""ResNet18 feature extractors, with weights from ImageNet, from a local file, or random."""

from pathlib import Path
from urllib.error import URLError

import torch
from torch import nn
from torchvision.models import ResNet18_Weights, resnet18

from ..errors import DataError

RESNET18_FEATURES = 512


def build_resnet18_backbone(weights: str | None) -> nn.Module:
    """ResNet18 without its classification layer: images in, 512 features out.

    `weights` is None (random initialisation), a torchvision weights name such as "DEFAULT" or
    "IMAGENET1K_V1" (downloaded once into the torch hub cache), or the path of a saved ResNet18
    state dict, e.g. the ImageNet file downloaded on another machine or a backbone exported by this
    project's `train` with `backbone_export_path`.
    """
    pretrained_name = weights if weights in ResNet18_Weights.__members__ else None
    backbone = resnet18(weights=None) if pretrained_name is None else _download_imagenet(pretrained_name)
    backbone.fc = nn.Identity()
    if weights is not None and pretrained_name is None:
        backbone.load_state_dict(load_backbone_state_dict(Path(weights)))
    return backbone


def _download_imagenet(name: str) -> nn.Module:
    """torchvision's own loader: downloads once into the torch hub cache, then works offline."""
    weights = ResNet18_Weights[name]
    try:
        return resnet18(weights=weights)
    except (URLError, OSError) as error:
        cache = Path(torch.hub.get_dir()) / "checkpoints"
        raise DataError(
            f"Could not download the ImageNet weights for ResNet18 ({error}). Either download "
            f"{weights.url} on a machine with internet and pass its path as model.weights=/path/to/"
            f"{Path(weights.url).name} (or put it in {cache}), or train from scratch with model.weights=null."
        ) from error


def load_backbone_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read a ResNet18 state dict safely (tensors only) and drop its old classification layer."""
    if not path.is_file():
        names = ", ".join(["null", *ResNet18_Weights.__members__])
        raise DataError(
            f"model.weights={path} is neither a weights file nor one of: {names}. Pass the path of a "
            "saved ResNet18 state dict (.pth), a torchvision weights name, or null. If the file comes from "
            "another run (backbone_export_path, e.g. experiment=transfer_digits_pretrain), run that first."
        )
    state_dict = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state_dict, dict) or "state_dict" in state_dict:
        raise DataError(
            f"{path} is not a plain ResNet18 state dict. Save one with "
            "torch.save(model.state_dict(), path), or use the backbone file that training writes when "
            "backbone_export_path is set."
        )
    return {key: value for key, value in state_dict.items() if not key.startswith("fc.")}


def save_backbone(backbone: nn.Module, path: str | Path) -> Path:
    """A plain ResNet18 state dict: exactly what `model.weights=<file>` loads in a later run."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(backbone.state_dict(), path)
    return path
