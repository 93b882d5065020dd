"""Tables that need no download: two of scikit-learn's bundled datasets and a synthetic regression.

Each returns a DataFrame with a `target` column, the same shape as a user's CSV, so they exercise exactly
the pipeline a user's own data goes through.
"""

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes


def diabetes() -> pd.DataFrame:
    """Regression: disease progression one year after baseline, from 10 measurements (442 patients)."""
    return load_diabetes(as_frame=True, scaled=False).frame


def breast_cancer() -> pd.DataFrame:
    """Binary classification: malignant or benign tumour, from 30 cell-nucleus measurements (569 rows)."""
    data = load_breast_cancer(as_frame=True)
    frame = data.frame
    frame["target"] = [data.target_names[label] for label in data.target]
    return frame


def synthetic_regression(rows: int = 1000, noise: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """y = 3*x0 - 2*x1 + x2**2 + Gaussian noise: linear in two inputs, non-linear in the third.

    A linear model cannot fit the x2**2 term unless it is given that feature, which a network learns
    on its own; `features.add_squares` shows the classical fix.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, size=(rows, 3))
    target = 3 * x[:, 0] - 2 * x[:, 1] + x[:, 2] ** 2 + rng.normal(0.0, noise, size=rows)
    return pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "x2": x[:, 2], "target": target})
