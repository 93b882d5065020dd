"""Fingerprints of the input data, for the run record: the same fingerprint means the same data.

`data_fingerprint(datamodule)` reads the data as its source holds it, before any split, so it works
before the data module's `setup` (a run records its data before training). Files are hashed by content
(SHA-256). A folder of images is hashed file by file up to `MAX_HASHED_BYTES`; beyond that only names
and sizes are hashed (a full read of a very large dataset would add minutes to every run), and the
fingerprint says so.
"""

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MAX_HASHED_BYTES = 2 * 1024**3


def file_sha256(path: str | Path) -> str:
    with Path(path).open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def file_fingerprint(path: str | Path) -> dict[str, Any]:
    path = Path(path).resolve()
    return {"path": str(path), "bytes": path.stat().st_size, "sha256": file_sha256(path)}


def folder_fingerprint(root: str | Path) -> dict[str, Any]:
    """One hash over every file's relative path and content (or size, for very large folders)."""
    root = Path(root).resolve()
    files = sorted(path for path in root.rglob("*") if path.is_file())
    total = sum(path.stat().st_size for path in files)
    by_content = total <= MAX_HASHED_BYTES
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(file_sha256(path).encode() if by_content else str(path.stat().st_size).encode())
    return {
        "path": str(root),
        "files": len(files),
        "bytes": total,
        "sha256": digest.hexdigest(),
        "hashed": "contents" if by_content else f"names and sizes only (over {MAX_HASHED_BYTES} bytes)",
    }


def arrays_sha256(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        contiguous = np.ascontiguousarray(array)
        digest.update(str((contiguous.dtype, contiguous.shape)).encode())
        digest.update(contiguous.tobytes())
    return digest.hexdigest()


def frame_sha256(frame: pd.DataFrame) -> str:
    """Column names, row order and values (pandas' own stable row hashes)."""
    row_hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return arrays_sha256(np.array(list(map(str, frame.columns))), row_hashes)


def digits_fingerprint(datamodule) -> dict[str, Any]:
    images, digits = datamodule.load()
    return {
        "dataset": "scikit-learn digits",
        "samples": len(digits),
        "classes": datamodule.classes,
        "sha256": arrays_sha256(images, digits),
    }


def image_folder_fingerprint(datamodule) -> dict[str, Any]:
    unreadable = len(datamodule.bad_files)  # scans, and stops the run on any unless skipped
    return {
        "dataset": "image folder",
        **folder_fingerprint(datamodule.data_dir),
        "unreadable_files": unreadable,
        "on_bad_file": datamodule.on_bad_file,
    }


def cifar10_fingerprint(datamodule) -> dict[str, Any]:
    return {"dataset": "CIFAR-10", **folder_fingerprint(datamodule.files_dir)}


def table_fingerprint(datamodule) -> dict[str, Any]:
    """The file's hash, or for a bundled table its loader's name and a hash of its rows."""
    if datamodule.path is not None:
        return {"dataset": "table file", **file_fingerprint(datamodule.path)}
    frame = datamodule.load()
    return {"dataset": datamodule.source_name(), "rows": len(frame), "sha256": frame_sha256(frame)}


# A new kind of data module needs an entry here, as in reporting/data_description.py (and, with the serving
# part, in its input schema).
FINGERPRINTS = {
    "digits": digits_fingerprint,
    "image_folder": image_folder_fingerprint,
    "cifar10": cifar10_fingerprint,
    "table": table_fingerprint,
}


def data_fingerprint(datamodule) -> dict[str, Any]:
    """What identifies the data module's input data (source, size, content hash)."""
    return FINGERPRINTS[datamodule.kind](datamodule)
