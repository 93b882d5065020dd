"""Benchmarks: the project's code against the best hand-written PyTorch doing the same work, measured
side by side in one run (`make bench`, or `python -m benchmarks.run`). See README, "Performance"."""
