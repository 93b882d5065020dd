"""Matplotlib set-up shared by the explanation plots: files only, never a window."""

import matplotlib

matplotlib.use("Agg")  # before pyplot: runs on servers and in tests without a display

import matplotlib.pyplot as plt  # noqa: E402

DPI = 120


def save(figure, path) -> None:
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(figure)
