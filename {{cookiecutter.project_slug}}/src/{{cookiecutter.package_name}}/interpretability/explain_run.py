"""Explain a trained model into `<run>/explanations/`, whichever kind of data it learned from."""

from pathlib import Path

from omegaconf import DictConfig

from ..run_directory import EXPLANATIONS_DIR


def explain_model(
    settings: DictConfig, model, datamodule, output_dir: Path, seed: int = 0
) -> dict[str, Path]:
    """`settings`: the config's `explain` node. Returns {label: file written}."""
    from ..data.tabular import TabularDataModule

    target = Path(output_dir) / EXPLANATIONS_DIR
    if isinstance(datamodule, TabularDataModule):
        from .tabular import explain_table

        return explain_table(
            model,
            datamodule,
            target,
            settings.samples,
            settings.background,
            settings.permutation_repeats,
            seed,
        )
    from .images import explain_images

    return explain_images(model, datamodule, target, settings.images, settings.steps)
