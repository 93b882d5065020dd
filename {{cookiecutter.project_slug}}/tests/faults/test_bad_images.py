"""Fault: unreadable files in an image folder (truncated, empty, not an image, an empty class folder).
They are found by a scan before training starts and listed with their paths; `data.on_bad_file=skip`
trains without them and counts them in the run record."""

import json
from pathlib import Path

import pytest
from PIL import Image

from {{ cookiecutter.package_name }}.data.image_folder import (
    BadImageFilesError,
    ImageFolderDataModule,
)
from {{ cookiecutter.package_name }}.errors import DataError
from {{ cookiecutter.package_name }}.train import train

FOLDER = ["data=image_folder", "data.image_size=32", "data.num_workers=0", "explain.after_training=false"]


@pytest.fixture
def folder_with_bad_files(image_folder: Path) -> tuple[Path, dict[str, str]]:
    """The tiny two-class folder plus three broken files (and a hidden macOS metadata file to ignore)."""
    Image.new("RGB", (64, 64), "red").save(image_folder / "cat" / "whole.jpg", quality=90)
    jpeg = (image_folder / "cat" / "whole.jpg").read_bytes()
    (image_folder / "cat" / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (image_folder / "dog" / "empty.png").write_bytes(b"")
    (image_folder / "dog" / "page.jpg").write_text("<html>Not found</html>")
    (image_folder / "dog" / "._metadata.jpg").write_bytes(b"\x00\x05\x16\x07")
    bad = {
        "cat/truncated.jpg": "truncated",
        "dog/empty.png": "",
        "dog/page.jpg": "not an image in a supported format",
    }
    return image_folder, bad


def test_bad_files_stop_the_run_before_training_with_their_paths(
    make_config, tiny_run, folder_with_bad_files
):
    folder, bad = folder_with_bad_files
    cfg = make_config("train", *tiny_run, *FOLDER, f"data.data_dir={folder}")
    with pytest.raises(BadImageFilesError) as raised:
        train(cfg)
    message = str(raised.value)
    assert message.startswith(f"3 image files in {folder} cannot be read:")
    for name, reason in bad.items():
        assert f"{folder / name}: " in message
        assert reason in message.split(str(folder / name))[1].split("\n")[0].lower()
    assert "._metadata.jpg" not in message and message.endswith("data.on_bad_file=skip.")
    assert not (Path(cfg.paths.output_dir) / "checkpoints").exists()  # no compute spent
    record = json.loads((Path(cfg.paths.output_dir) / "run_record.json").read_text())
    assert record["status"] == "failed"


def test_skip_trains_without_them_and_records_how_many(make_config, tiny_run, folder_with_bad_files):
    folder, _ = folder_with_bad_files
    cfg = make_config("train", *tiny_run, *FOLDER, f"data.data_dir={folder}", "data.on_bad_file=skip")
    train(cfg)
    record = json.loads((Path(cfg.paths.output_dir) / "run_record.json").read_text())
    assert record["status"] == "completed"
    assert record["data"]["unreadable_files"] == 3 and record["data"]["on_bad_file"] == "skip"
    datamodule = ImageFolderDataModule(str(folder), image_size=32, on_bad_file="skip")
    datamodule.setup()
    sizes = len(datamodule.train_set) + len(datamodule.val_set) + len(datamodule.test_set)
    assert sizes == 21  # 10 + 10 tiny images and whole.jpg; no broken or hidden file


def test_an_empty_class_folder_is_named(image_folder):
    (image_folder / "bird").mkdir()
    with pytest.raises(DataError, match=r"bird.*needs at least one readable image"):
        _ = ImageFolderDataModule(str(image_folder), image_size=32).class_names


def test_an_unknown_choice_is_refused(image_folder):
    with pytest.raises(ValueError, match=r"data.on_bad_file='ignore' must be one of \['error', 'skip'\]"):
        ImageFolderDataModule(str(image_folder), on_bad_file="ignore")
