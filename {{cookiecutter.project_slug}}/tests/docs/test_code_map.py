"""The README's map of the code names every folder and module of the package, and nothing that is gone."""

import ast
import re
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
PACKAGE_DIR = PROJECT_DIR / "src" / "{{ cookiecutter.package_name }}"
# An entry: its names (one or several, comma-separated) at the start of the line, two spaces, then what it
# is. Deeper-indented lines continue the description of the entry above.
ENTRY = re.compile(r"^(?P<indent> {0,2})(?P<names>\S.*?)(?: {2,}.*)?$")


def code_map() -> list[str]:
    """The map's entries as paths relative to the project (folders end with a slash)."""
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Map of the code", 1)[1]
    block = section.split("```", 2)[1].strip("\n")
    entries, parent = [], ""
    for line in block.splitlines():
        match = ENTRY.match(line)
        if not match:
            continue
        names = [name.strip() for name in match["names"].split(",")]
        if match["indent"]:
            entries += [parent + name for name in names]
        else:
            entries += names
            parent = names[-1]
    return entries


def package_parts() -> set[str]:
    """The package's subpackages and modules (not `__init__.py`), as the map writes them."""
    parts = set()
    for path in PACKAGE_DIR.iterdir():
        if path.is_dir() and (path / "__init__.py").is_file():
            parts.add(f"src/{PACKAGE_DIR.name}/{path.name}/")
        elif path.suffix == ".py" and path.name != "__init__.py":
            parts.add(f"src/{PACKAGE_DIR.name}/{path.name}")
    return parts


def test_every_entry_of_the_map_exists():
    entries = code_map()
    assert len(entries) > 20, "the map was not found in the README"
    assert [entry for entry in entries if not (PROJECT_DIR / entry).exists()] == []


def test_every_folder_and_module_of_the_package_is_on_the_map():
    listed = set(code_map())
    assert sorted(package_parts() - listed) == []


def ignored_folders() -> set[str]:
    """Top-level folders .gitignore keeps out of git (`/logs/`, `/data/`, ...): runs and data, not code."""
    lines = (PROJECT_DIR / ".gitignore").read_text(encoding="utf-8").splitlines()
    return {match[1] for line in lines if (match := re.fullmatch(r"/([\w.-]+)/", line.strip()))}


def test_every_top_level_folder_is_on_the_map():
    skipped = ignored_folders() | {"__pycache__"}
    folders = {
        f"{path.name}/"
        for path in PROJECT_DIR.iterdir()
        if path.is_dir()
        and not path.name.startswith(".")
        and path.name not in skipped
        and not path.name.endswith(".egg-info")
    }
    listed = {entry.split("/")[0] + "/" for entry in code_map()}
    sources = {f"src/{path.name}/" for path in (PROJECT_DIR / "src").iterdir() if path.is_dir()}
    assert sorted(folders - listed) == []
    assert sorted(sources - set(code_map())) == []


RECIPE_LINES = 130


def test_entry_points_stay_short_recipes():
    # An entry point is a module that makes a command of its main (`@command("train")`, cli.py).
    entry_points = [
        path for path in PACKAGE_DIR.glob("*.py") if "\n@command(" in path.read_text(encoding="utf-8")
    ]
    assert {"train.py", "eval.py", "explain.py"} <= {path.name for path in entry_points}
    lengths = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in entry_points}
    assert {name: length for name, length in lengths.items() if length > RECIPE_LINES} == {}


def test_only_run_directory_names_the_files_of_a_run():
    from {{ cookiecutter.package_name }} import run_directory

    # File names: a folder's name ("checkpoints") is an ordinary word elsewhere, e.g. in torch's hub cache.
    names = {
        value
        for key, value in vars(run_directory).items()
        if key.isupper() and isinstance(value, str) and "." in value
    }
    assert {"metrics.json", "MODEL_CARD.md", "run_record.json", "last.ckpt"} <= names
    spelled_out = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if path.name == "run_directory.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                spelled_out.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno}: {node.value!r}")
    assert spelled_out == []
