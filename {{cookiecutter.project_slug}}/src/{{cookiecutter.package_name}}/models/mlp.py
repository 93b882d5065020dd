"""A multilayer perceptron: layers of neurons, each a weighted sum of its inputs passed through an
activation function, with weights initialised to suit that activation."""

from collections import OrderedDict
from collections.abc import Sequence

from torch import nn

from ..errors import ConfigError

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ConfigError(f"model.activation={activation!r}: choose one of {sorted(ACTIVATIONS)}.")


def init_weights(linear: nn.Linear, activation: str) -> None:
    """He initialisation for the ReLU family, Xavier (Glorot) for the saturating tanh and sigmoid.

    Both keep the variance of activations about constant from layer to layer at the start of training,
    each for the slope of its own activation.
    """
    if activation in ("relu", "gelu"):
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
    elif activation == "leaky_relu":
        nn.init.kaiming_normal_(linear.weight, a=0.01, nonlinearity="leaky_relu")
    else:
        nn.init.xavier_normal_(linear.weight, gain=nn.init.calculate_gain(activation))
    nn.init.zeros_(linear.bias)


def build_mlp(
    input_size: int,
    hidden_sizes: Sequence[int],
    output_size: int,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
) -> nn.Sequential:
    """input -> [linear -> (batch norm) -> activation -> (dropout)] per hidden size -> linear output.

    Layers are named `hidden_1.linear`, `hidden_2.linear`, ..., `output`: the names gradient norms are
    logged under.
    """
    check_activation(activation)
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    width = input_size
    for number, size in enumerate(hidden_sizes, start=1):
        linear = nn.Linear(width, size)
        init_weights(linear, activation)
        block: OrderedDict[str, nn.Module] = OrderedDict(linear=linear)
        if batch_norm:
            block["batch_norm"] = nn.BatchNorm1d(size)
        block["activation"] = ACTIVATIONS[activation]()
        if dropout > 0:
            block["dropout"] = nn.Dropout(dropout)
        layers[f"hidden_{number}"] = nn.Sequential(block)
        width = size
    output = nn.Linear(width, output_size)
    # The output layer has no activation after it, so Xavier with unit gain suits it.
    nn.init.xavier_normal_(output.weight)
    nn.init.zeros_(output.bias)
    layers["output"] = output
    return nn.Sequential(layers)
