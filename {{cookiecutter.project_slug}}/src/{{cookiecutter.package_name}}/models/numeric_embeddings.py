"""Piecewise-linear embeddings of numeric columns (Gorishniy et al., "On Embeddings for Numerical Features in
Tabular Deep Learning", NeurIPS 2022), from the authors' `rtdl-num-embeddings` library.

A standardised number is one input to an MLP's first layer, which can only weigh it linearly. Cut the
column's training values into bins at its quantiles, and encode a value by how far it has filled each bin
(1 for the bins below it, a fraction for its own, 0 above); a small learned layer turns that into a vector
per column. The network then sees where in the column's distribution a value lies, and on tables this
closes much of the gap between an MLP and gradient-boosted trees at little cost per step.

The bin edges are fitted to the training rows once, before training, and kept in the model's
hyperparameters (plain lists of floats), so a checkpoint alone rebuilds the same layers.
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from rtdl_num_embeddings import PiecewiseLinearEmbeddings, compute_bins
from torch import nn

# Fewer training rows per bin than this and a bin's edges describe noise, not the column.
MIN_ROWS_PER_BIN = 4


@contextmanager
def one_bin_columns_allowed() -> Iterator[None]:
    """A 0/1 flag gets one bin: the library warns at every run that its encoding is then a rescaling, which
    is all a flag needs (and its learned embedding helped on the measured tables)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*has just two bin edges")
        yield


def fit_bin_edges(train_inputs: torch.Tensor, numeric_columns: int, max_bins: int) -> dict[str, list]:
    """Quantile bin edges for the first `numeric_columns` columns of `train_inputs` (where the preprocessing
    puts the numeric columns), up to `max_bins` bins each and fewer for few rows or few distinct values.

    Returns {"columns": [index, ...], "edges": [[edge, ...], ...]}: a column with one distinct value has
    nothing to bin and stays a plain input, as do all columns when there are too few rows to bin.
    """
    numeric = train_inputs[:, :numeric_columns].float()
    columns = [column for column in range(numeric_columns) if numeric[:, column].unique().numel() > 1]
    bins = min(max_bins, len(numeric) // MIN_ROWS_PER_BIN)
    if not columns or bins < 2:
        return {"columns": [], "edges": []}
    with one_bin_columns_allowed():
        edges = compute_bins(numeric[:, columns], n_bins=bins)
    return {"columns": columns, "edges": [column_edges.tolist() for column_edges in edges]}


class NumericEmbeddings(nn.Module):
    """inputs -> [the embedded columns' vectors, flattened; the other columns as they are].

    `columns`: the indices of the columns to embed; `edges`: their bin edges (`fit_bin_edges`).
    """

    def __init__(self, input_size: int, columns: Sequence[int], edges: Sequence[Sequence[float]], size: int):
        super().__init__()
        others = [column for column in range(input_size) if column not in set(columns)]
        # Buffers: they move with the model to its device and export to ONNX as constants.
        self.register_buffer("embedded", torch.tensor(list(columns), dtype=torch.long), persistent=False)
        self.register_buffer("others", torch.tensor(others, dtype=torch.long), persistent=False)
        # Version "B" (the library's recommendation): a linear embedding of the value plus the
        # piecewise-linear part, which starts at zero, so training starts from the plain linear model.
        with one_bin_columns_allowed():
            self.embeddings = PiecewiseLinearEmbeddings(
                [torch.tensor(column_edges) for column_edges in edges], size, activation=False, version="B"
            )
        self.output_size = len(others) + len(columns) * size

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        embedded = self.embeddings(inputs.index_select(1, self.embedded)).flatten(1)
        return torch.cat([embedded, inputs.index_select(1, self.others)], dim=1)
