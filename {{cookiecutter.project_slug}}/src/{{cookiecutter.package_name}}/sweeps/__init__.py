"""Hyperparameter sweeps: an Optuna study driven through Hydra's sweeper interface."""
