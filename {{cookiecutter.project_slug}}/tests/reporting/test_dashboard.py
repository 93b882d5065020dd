"""report.html: self-contained, complete for each kind of task, and rendered by a real browser."""

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.errors import CheckpointError
from {{ cookiecutter.package_name }}.reporting.dashboard import build_report
from {{ cookiecutter.package_name }}.train import train

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


class ResourceReferences(HTMLParser):
    """Every src/href of the page's own tags (scripts' code is text, not tags)."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.references += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.fixture(scope="module")
def image_report(tmp_path_factory) -> Path:
    from tests.conftest import TINY_RUN

    from {{ cookiecutter.package_name }}.config import compose_run_config

    cfg = compose_run_config("train", [*TINY_RUN, "trainer.max_epochs=2"], tmp_path_factory.mktemp("logs"))
    train(cfg)
    return Path(cfg.paths.output_dir) / "report.html"


def test_the_report_is_self_contained(image_report):
    page = image_report.read_text()
    parser = ResourceReferences()
    parser.feed(page)
    assert parser.references, "the page embeds its images as data"
    assert all(reference.startswith("data:") for reference in parser.references), parser.references
    assert "url(http" not in page.replace(" ", "")
    assert page.count("Plotly.newPlot") >= 2  # plotly.js is in the page, not fetched from a CDN
    assert page.count("window.PlotlyConfig") == 1  # its bundle is embedded once, shared by every figure


def test_an_image_run_shows_curves_confusion_matrix_mistakes_and_attributions(image_report):
    page = image_report.read_text()
    for section in ("Key numbers", "Learning curves", "Confusion matrix (test)", "Most confident mistakes"):
        assert section in page
    assert "95% CI" in page
    assert "data:image/png;base64," in page  # the Integrated Gradients grid, embedded


def test_a_regression_run_shows_predicted_against_actual_baselines_and_importance(make_config, tiny_run):
    cfg = make_config("train", *tiny_run, "experiment=tabular_diabetes", "data.sensitive=[sex]")
    train(cfg)
    page = (Path(cfg.paths.output_dir) / "report.html").read_text()
    for section in (
        "predicted vs actual",
        "residuals",
        "Largest errors",
        "best baseline",
        "mean |SHAP value|",
    ):
        assert section in page
    assert "Fairness across groups" in page
    assert "Largest difference between groups of sex: count" not in page  # counts are not gaps
    assert "Largest difference between groups of sex: mae " in page


def test_the_report_can_be_rebuilt_and_needs_a_finished_run(image_report, tmp_path):
    before = image_report.stat().st_size
    assert build_report(image_report.parent) == image_report
    assert image_report.stat().st_size == pytest.approx(before, rel=0.01)
    with pytest.raises(CheckpointError, match="has no metrics.json"):
        build_report(tmp_path)


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@pytest.mark.slow
def test_the_report_renders_in_headless_chromium_without_console_errors(image_report):
    browser = find_browser()
    if browser is None:
        pytest.skip("No Chromium here: install it (Debian: apt-get install chromium) to run this check.")
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"]
        + ["--virtual-time-budget=10000", "--dump-dom", image_report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # Plotly draws each figure as SVG once its script has run: the curves and the confusion matrix.
    assert result.stdout.count('class="main-svg"') >= 2
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console
