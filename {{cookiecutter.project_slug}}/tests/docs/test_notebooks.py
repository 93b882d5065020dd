"""The notebooks run top to bottom on a fresh kernel, and are committed without outputs."""

import os
from pathlib import Path

import nbformat
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((PROJECT_DIR / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 120  # each notebook takes seconds; a hung cell must not stall the suite


def test_the_notebooks_are_found():
    # Without this, a moved notebooks/ folder would leave the tests below with nothing to run.
    assert {path.name for path in NOTEBOOKS} >= {"01_explore_data.ipynb", "02_from_scratch.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    with_results = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert with_results == [], f"cells {with_results} hold outputs: run `nbstripout {path.name}`"
    # The Python version differs from machine to machine; the nbstripout hook removes it too.
    assert "version" not in notebook.metadata.get("language_info", {})


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom(path, monkeypatch):
    from nbclient import NotebookClient

    # The kernel starts in notebooks/, where a relative PYTHONPATH=src (or an uninstalled checkout) would
    # not find the package: put the project's src/ first, as an editable install would.
    search_path = [str(PROJECT_DIR / "src"), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, search_path)))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(path.parent)}},
    )
    # Raises CellExecutionError, with the failing cell and its traceback, when any cell fails.
    client.execute()
