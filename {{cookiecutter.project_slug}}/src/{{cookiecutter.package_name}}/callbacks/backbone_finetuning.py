"""Lightning's BackboneFinetuning schedule, with a frozen backbone that really is frozen."""

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import BackboneFinetuning as LightningBackboneFinetuning

from ..errors import ConfigError


class BackboneFinetuning(LightningBackboneFinetuning):
    """Train the new head on a frozen backbone, then unfreeze the backbone at a smaller learning rate.

    Lightning's own freeze leaves batch-norm weights trainable (in the head's optimizer group, at the
    head's learning rate) and switches off their running statistics, so a "frozen" backbone would still
    change and would normalise every batch by its own statistics, even at evaluation. Here freezing only
    stops gradients; the model keeps a fully frozen backbone in eval mode (see ImageClassifier).
    """

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if trainer.world_size > 1:
            # DDP registers only the parameters that require gradients when it wraps the model, so weights
            # unfrozen later would train separately on each device (Lightning issue #20340).
            raise ConfigError(
                "callbacks=finetune cannot unfreeze the backbone under multi-device training: run the "
                "schedule on one device, or keep the backbone frozen with model.freeze_backbone=true."
            )
        super().setup(trainer, pl_module, stage)

    def freeze_before_training(self, pl_module: LightningModule) -> None:
        pl_module.backbone.requires_grad_(False)
