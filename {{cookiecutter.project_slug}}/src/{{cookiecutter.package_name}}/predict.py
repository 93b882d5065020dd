"""Batch prediction with a model bundle (made by `export`):

    python -m {{ cookiecutter.package_name }}.predict \\
        model_dir=<bundle> input=<table | image folder> output=<predictions.csv | .parquet>

Tables (CSV, TSV, Parquet): every input column is kept (IDs included) and the predictions are added
next to them. Image folders: every file below the folder, by relative path. Each output row has the
prediction (`predicted_label` and one `probability_<class>` column per class, or `predicted_value`), the
decision policy's `action` for a binary classifier, `warnings` (categories unseen in training) and `error`:
a row or file that cannot be scored stays in the output with the reason there, never silently dropped.
The preprocessing is the one saved in the bundle.
"""

import logging
from pathlib import Path

from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.cli import command
from {{ cookiecutter.package_name }}.errors import ConfigError

log = logging.getLogger(__name__)
WRITERS = {
    ".csv": lambda frame, path: frame.to_csv(path, index=False),
    ".parquet": lambda frame, path: frame.to_parquet(path, index=False),
}


def predict(cfg: DictConfig) -> Path:
    """Predictions for `cfg.input` into `cfg.output`; returns the output file."""
    from {{ cookiecutter.package_name }}.config_checks import check_startup
    from {{ cookiecutter.package_name }}.deployment.batch import predict_images, predict_table
    from {{ cookiecutter.package_name }}.deployment.config_schemas import PredictSchema
    from {{ cookiecutter.package_name }}.deployment.predictor import Predictor

    check_startup(cfg, PredictSchema)
    for option in ("model_dir", "input", "output"):
        if not cfg.get(option):
            raise ConfigError(
                f"predict needs {option}=...: model_dir=<folder written by export> "
                "input=<CSV/Parquet file or image folder> output=<predictions.csv>."
            )
    source, output = Path(cfg.input).expanduser(), Path(cfg.output).expanduser()
    if output.resolve() == source.resolve():
        raise ConfigError(
            f"output={output} is the input file: choose another name, the input stays as it is."
        )
    if output.suffix.lower() not in WRITERS:
        raise ConfigError(f"output={output}: write predictions to {' or '.join(WRITERS)}.")
    if cfg.batch_size < 1:
        raise ConfigError(f"batch_size={cfg.batch_size} must be at least 1.")
    predictor = Predictor(cfg.model_dir, cfg.runtime)
    if predictor.kind == "table":
        results = predict_table(predictor, source, cfg.batch_size)
    else:
        results = predict_images(predictor, source, cfg.batch_size, cfg.max_image_pixels)
    output.parent.mkdir(parents=True, exist_ok=True)
    WRITERS[output.suffix.lower()](results, output)
    failed = int(results["error"].notna().sum())
    print(f"Predictions for {len(results) - failed} of {len(results)} examples: {output}")
    if failed:
        log.warning("%d examples could not be scored: the `error` column of %s says why.", failed, output)
    return output


@command("predict")
def main(cfg: DictConfig) -> None:
    predict(cfg)


if __name__ == "__main__":
    main()
