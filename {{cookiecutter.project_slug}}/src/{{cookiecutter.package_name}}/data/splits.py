"""Seeded train/val/test splits: the same seed always gives the same split, and where there are classes,
every split keeps the class balance of the whole dataset."""

from collections.abc import Sequence

from sklearn.model_selection import train_test_split

from ..errors import ConfigError, DataError


def stratified_holdout(
    indices: Sequence[int], labels: Sequence[int], fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """Split `indices` into (kept, held out), holding out `fraction` of each class."""
    try:
        kept, held_out = train_test_split(
            list(indices), test_size=fraction, stratify=list(labels), random_state=seed
        )
    except ValueError as error:
        raise DataError(
            f"Cannot hold out {fraction:.0%} of {len(indices)} examples per class ({error}). Add "
            "examples to the smallest classes or change data.val_fraction / data.test_fraction."
        ) from error
    return sorted(kept), sorted(held_out)


def check_fractions(val_fraction: float, test_fraction: float) -> None:
    if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ConfigError(
            f"data.val_fraction={val_fraction} and data.test_fraction={test_fraction} must each be "
            "between 0 and 1 and sum to less than 1 (e.g. 0.1 and 0.2)."
        )


def stratified_split(
    labels: Sequence[int], val_fraction: float, test_fraction: float, seed: int
) -> tuple[list[int], list[int], list[int]]:
    """Train/val/test indices with the given val and test fractions of the whole dataset."""
    check_fractions(val_fraction, test_fraction)
    train_val, test = stratified_holdout(range(len(labels)), labels, test_fraction, seed)
    train, val = stratified_holdout(
        train_val, [labels[i] for i in train_val], val_fraction / (1 - test_fraction), seed
    )
    return train, val, test


def random_split(
    rows: int, val_fraction: float, test_fraction: float, seed: int
) -> tuple[list[int], list[int], list[int]]:
    """Train/val/test indices for data without classes (regression), seeded."""
    check_fractions(val_fraction, test_fraction)
    train_val, test = train_test_split(list(range(rows)), test_size=test_fraction, random_state=seed)
    train, val = train_test_split(train_val, test_size=val_fraction / (1 - test_fraction), random_state=seed)
    return sorted(train), sorted(val), sorted(test)
