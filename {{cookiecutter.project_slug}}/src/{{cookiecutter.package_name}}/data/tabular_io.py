"""Read a user's table (CSV or Parquet) into a DataFrame, with errors that say what to do."""

from pathlib import Path

import pandas as pd

from ..errors import DataError

READERS = {".csv": pd.read_csv, ".tsv": lambda path: pd.read_csv(path, sep="\t"), ".parquet": pd.read_parquet}
READERS[".pq"] = READERS[".parquet"]


def read_table(path: str | Path, setting: str = "data.path") -> pd.DataFrame:
    """`setting`: the option that named the file, so errors point at what to change."""
    path = Path(path).expanduser()
    if not path.is_file():
        hint = "it is a folder, not a file" if path.is_dir() else "no such file"
        raise DataError(
            f"{setting}={path} cannot be read ({hint}). Pass the path of your CSV or Parquet file, e.g. "
            f"{setting}=data/raw/my_table.csv (relative paths start from the directory you run in)."
        )
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(
            f"{setting}={path} has the extension {path.suffix!r}; supported: {', '.join(sorted(READERS))}. "
            "Save the table as CSV or Parquet."
        )
    try:
        frame = reader(path)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise DataError(
            f"{setting}={path} is not a readable {path.suffix.lstrip('.').upper()} file ({error}). Open it "
            "in a spreadsheet or text editor, fix it, and save it again as UTF-8 CSV or Parquet."
        ) from error
    if frame.empty:
        raise DataError(f"{setting}={path} holds no rows: check that it is the right file.")
    return frame
