"""Transfer learning offline: pretrain on digits 0-4, then fine-tune that backbone on digits 5-9."""

from pathlib import Path

import torch

from {{ cookiecutter.package_name }}.models.image_classifier import ImageClassifier
from {{ cookiecutter.package_name }}.train import train


def test_finetuning_starts_from_the_pretrained_backbone_and_unfreezes_it(
    make_config, tmp_path, monkeypatch, tiny_run
):
    exported = tmp_path / "resnet18_digits_0-4.pth"
    pretrain = make_config(
        "train", "experiment=transfer_digits_pretrain", *tiny_run, f"backbone_export_path={exported}"
    )
    train(pretrain)
    pretrained = torch.load(exported, map_location="cpu", weights_only=True)
    assert "fc.weight" not in pretrained and "conv1.weight" in pretrained

    seen = {}
    original_hook = ImageClassifier.on_train_epoch_start

    def record_trainable_backbone(self):
        seen[self.current_epoch] = all(p.requires_grad for p in self.backbone.parameters())
        seen.setdefault("initial_conv1", self.backbone.conv1.weight.detach().clone())
        original_hook(self)

    monkeypatch.setattr(ImageClassifier, "on_train_epoch_start", record_trainable_backbone)
    finetune = make_config(
        "train",
        "experiment=transfer_digits_finetune",
        *tiny_run,
        "trainer.max_epochs=2",
        f"model.weights={exported}",
        "callbacks.backbone_finetuning.unfreeze_backbone_at_epoch=1",
    )
    train(finetune)

    assert torch.equal(seen["initial_conv1"], pretrained["conv1.weight"])
    assert seen[0] is False  # the new head learns on a frozen backbone first
    assert seen[1] is True  # then the backbone is unfrozen
    last = torch.load(Path(finetune.paths.output_dir, "checkpoints", "last.ckpt"), weights_only=True)
    assert last["hyper_parameters"]["class_names"] == ["5", "6", "7", "8", "9"]
    # Unfrozen, the backbone joined the optimizer and moved away from the pretrained weights.
    assert len(last["optimizer_states"][0]["param_groups"]) == 2
    assert not torch.equal(last["state_dict"]["backbone.conv1.weight"], pretrained["conv1.weight"])
