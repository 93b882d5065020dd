"""Gradient flow: how large each layer's weight gradients are, logged as `grad_norm/<layer>`.

In a deep network with saturating activations (sigmoid, tanh) the gradients shrink layer by layer on
their way back to the input, so the first layers barely learn: the vanishing-gradient problem. Compare
`experiment=vanishing_gradients_sigmoid` with `experiment=vanishing_gradients_relu` in the logger.
"""

from lightning.pytorch import Callback, LightningModule, Trainer
from torch.optim import Optimizer


class GradientFlow(Callback):
    def __init__(self, log_every_n_steps: int = 10, norm_type: float = 2.0) -> None:
        self.log_every_n_steps = log_every_n_steps
        self.norm_type = norm_type

    def on_before_optimizer_step(
        self, trainer: Trainer, pl_module: LightningModule, optimizer: Optimizer
    ) -> None:
        # Runs after gradients are unscaled (mixed precision) and before they are applied.
        if trainer.global_step % self.log_every_n_steps:
            return
        norms = {
            f"grad_norm/{layer_name(name)}": parameter.grad.detach().norm(self.norm_type)
            for name, parameter in pl_module.named_parameters()
            # Weight matrices and kernels only: biases and batch-norm scales say little about flow.
            if parameter.grad is not None and parameter.ndim > 1
        }
        pl_module.log_dict(norms, on_step=True, on_epoch=False)


def layer_name(parameter_name: str) -> str:
    """`network.hidden_1.linear.weight` -> `hidden_1.linear`."""
    return parameter_name.removeprefix("network.").removesuffix(".weight")
