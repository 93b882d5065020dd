"""Relative links in the README, docs/ and the notebooks' text lead to files that exist, and in-page links
to headings that exist."""

import re
from pathlib import Path

import nbformat
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)


def documents() -> list[tuple[Path, str]]:
    """(file, its Markdown text): README.md, docs/*.md, and the Markdown cells of notebooks/*.ipynb."""
    pages = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]
    found = [(page, page.read_text(encoding="utf-8")) for page in pages]
    for path in sorted((PROJECT_DIR / "notebooks").glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        found.append((path, "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")))
    return found


def relative_links(text: str) -> list[str]:
    # Web addresses and in-page anchors are not files of the project.
    return [
        link.split("#")[0]
        for link in MARKDOWN_LINK.findall(text)
        if not re.match(r"[a-z]+:", link) and not link.startswith("#")
    ]


DOCUMENTS = documents()


@pytest.mark.parametrize(
    ("path", "text"), DOCUMENTS, ids=[str(path.relative_to(PROJECT_DIR)) for path, _ in DOCUMENTS]
)
def test_relative_links_lead_to_existing_files(path, text):
    broken = [link for link in relative_links(text) if not (path.parent / link).exists()]
    assert broken == []


def heading_anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_in_page_links_lead_to_headings():
    text = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    without_code = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # `# comments` in code are not headings
    anchors = {heading_anchor(heading) for heading in HEADING.findall(without_code)}
    links = [link[1:] for link in MARKDOWN_LINK.findall(text) if link.startswith("#")]
    assert links, "the README's step-by-step guide links its sections"
    assert [link for link in links if link not in anchors] == []


def test_the_readme_links_the_concept_index():
    assert "docs/concepts.md" in relative_links((PROJECT_DIR / "README.md").read_text(encoding="utf-8"))
