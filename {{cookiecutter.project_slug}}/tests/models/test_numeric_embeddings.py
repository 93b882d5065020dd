"""Piecewise-linear embeddings: bin edges fitted to the numeric training columns only, kept in the
hyperparameters, and layers a checkpoint alone rebuilds."""

import warnings

import pytest
import torch

from {{ cookiecutter.package_name }}.errors import ConfigError
from {{ cookiecutter.package_name }}.models.numeric_embeddings import (
    NumericEmbeddings,
    fit_bin_edges,
)
from {{ cookiecutter.package_name }}.models.tabular_mlp import TabularMLP

OPTIMIZER = {"_target_": "torch.optim.AdamW", "_partial_": True, "lr": 0.01}
# Two numeric columns first (as the preprocessing orders them), then a one-hot category of two values.
PREPROCESSING = {"target_mean": 0.0, "target_std": 1.0, "fitted": {"numeric": ["x", "constant"]}}


def training_inputs(rows: int = 400) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    numeric = torch.randn(rows, 1, generator=generator)
    constant = torch.zeros(rows, 1)
    category = (torch.rand(rows, generator=generator) > 0.5).float()
    return torch.cat([numeric, constant, category[:, None], 1 - category[:, None]], dim=1)


def test_only_numeric_columns_with_two_values_or_more_are_binned_at_their_quantiles():
    inputs = training_inputs()
    fitted = fit_bin_edges(inputs, numeric_columns=2, max_bins=10)
    assert fitted["columns"] == [0]  # the constant column and the one-hot columns stay plain inputs
    [edges] = fitted["edges"]
    assert len(edges) == 11 and edges == sorted(edges)
    assert (edges[0], edges[-1]) == pytest.approx((float(inputs[:, 0].min()), float(inputs[:, 0].max())))
    # Quantile edges: about a tenth of the training values in each bin.
    counts = torch.histogram(inputs[:, 0], torch.tensor(edges)).hist
    assert counts.min() >= 35 and counts.max() <= 45


def test_a_flag_gets_one_bin_without_a_warning_at_every_run():
    inputs = training_inputs()
    inputs[:, 1] = (inputs[:, 0] > 0).float()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = fit_bin_edges(inputs, numeric_columns=2, max_bins=10)
        NumericEmbeddings(4, fitted["columns"], fitted["edges"], size=3)
    assert fitted["columns"] == [0, 1] and fitted["edges"][1] == [0.0, 1.0]


def test_few_rows_give_fewer_bins_and_too_few_give_none():
    assert len(fit_bin_edges(training_inputs(40), 2, max_bins=48)["edges"][0]) == 11  # 4 rows per bin
    assert fit_bin_edges(training_inputs(7), 2, max_bins=48) == {"columns": [], "edges": []}


def test_embedded_columns_become_vectors_and_the_others_pass_through():
    inputs = training_inputs()
    fitted = fit_bin_edges(inputs, 2, max_bins=8)
    embeddings = NumericEmbeddings(4, fitted["columns"], fitted["edges"], size=5)
    outputs = embeddings(inputs[:6])
    assert embeddings.output_size == outputs.shape[1] == 5 + 3
    torch.testing.assert_close(outputs[:, 5:], inputs[:6, 1:])


def make_model(numeric_embedding="piecewise_linear") -> TabularMLP:
    return TabularMLP(
        4, "regression", OPTIMIZER, numeric_embedding=numeric_embedding, embedding_size=4,
        preprocessing=PREPROCESSING, train_inputs=training_inputs(),
    )  # fmt: skip


def test_the_bin_edges_are_plain_hyperparameters_that_rebuild_the_same_network():
    model = make_model()
    assert model.hparams.bin_edges["columns"] == [0]
    assert all(isinstance(edge, float) for edge in model.hparams.bin_edges["edges"][0])
    assert "train_inputs" not in model.hparams
    assert model.architecture.startswith("piecewise-linear embeddings of 1 numeric column(s) (up to 48 bins")
    # As load_from_checkpoint does: the saved hyperparameters, no training data.
    rebuilt = TabularMLP(**dict(model.hparams))
    rebuilt.load_state_dict(model.state_dict())
    inputs = training_inputs()[:10]
    torch.testing.assert_close(rebuilt.eval()(inputs), model.eval()(inputs))


def test_an_unknown_embedding_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match="model.numeric_embedding='periodic': choose piecewise_linear"):
        make_model(numeric_embedding="periodic")


def test_the_embeddings_learn_a_step_the_plain_mlp_smooths():
    """A jump in the target at one value of a column: bins put an edge near it, a plain MLP of the same
    width and training bends towards it slowly (the reason the embeddings are the tables' default)."""
    inputs = training_inputs(512)
    targets = (inputs[:, 0] > 0.3).float() * 2 - 1

    def fitted_error(numeric_embedding) -> float:
        torch.manual_seed(0)
        model = TabularMLP(
            4, "regression", OPTIMIZER, hidden_sizes=[16], dropout=0.0, numeric_embedding=numeric_embedding,
            preprocessing=PREPROCESSING, train_inputs=inputs,
        )  # fmt: skip
        optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
        for _ in range(60):
            optimizer.zero_grad()
            loss = model.loss_of(model(inputs), targets)
            loss.backward()
            optimizer.step()
        return float(model.loss_of(model(inputs), targets).detach())

    assert fitted_error("piecewise_linear") < fitted_error(None) / 2
