"""Hydra finds sweeper plugins in the `hydra_plugins` namespace package; this one runs Optuna studies."""
