"""Files describing the data, written into a run directory: for tables, `data_summary.json` (rows,
column types, gaps, cleaning counts, the target's distribution) and `preprocessing.json` (the fitted
preprocessing, as in the checkpoint)."""

import json
from pathlib import Path

from ..run_directory import DATA_SUMMARY, PREPROCESSING


def write_data_files(datamodule, output_dir: Path) -> dict[str, Path]:
    """Writes the files of a set-up data module (none for images); returns {label: path}."""
    if datamodule.kind != "table":
        return {}
    description = datamodule.description()
    files = {
        "Data summary": (DATA_SUMMARY, description["summary"]),
        "Preprocessing": (PREPROCESSING, description["preprocessing"]),
    }
    written = {}
    for label, (name, content) in files.items():
        written[label] = Path(output_dir) / name
        written[label].write_text(json.dumps(content, indent=2) + "\n")
    return written
