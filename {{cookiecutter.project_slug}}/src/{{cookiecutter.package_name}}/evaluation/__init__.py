"""The test split after training: per-example predictions and confidence intervals of the metrics."""
