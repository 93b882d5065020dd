"""docs/concepts.md maps every concept of the chapter to files, names, configs and commands that exist."""

import re
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
CONCEPT_INDEX = PROJECT_DIR / "docs" / "concepts.md"

# The 55 concepts of "Neural Networks and PyTorch" (its "Concepts Covered" list), in the chapter's order.
CONCEPTS = [
    # Neural networks
    "Neural Networks",
    "Artificial Neuron",
    "Perceptron",
    "Activation Function",
    "Sigmoid Function",
    "ReLU Function",
    "Input Layer",
    "Hidden Layer",
    "Output Layer",
    "Weights",
    "Biases",
    "Forward Propagation",
    "Backpropagation",
    "Deep Learning",
    "Network Architecture",
    "Epochs",
    "Batch Size",
    "Mini-batch",
    "Stochastic Gradient",
    "Vanishing Gradient",
    # PyTorch
    "PyTorch Library",
    "Tensors",
    "Tensor Operations",
    "Autograd",
    "Automatic Differentiation",
    "Computational Graph",
    "Neural Network Module",
    "Sequential Model",
    "Linear Layer",
    "Loss Functions PyTorch",
    "Optimizer",
    "SGD Optimizer",
    "Adam Optimizer",
    "Training Loop",
    "Model Evaluation PyTorch",
    "GPU Computing",
    "CUDA",
    "Model Saving",
    "Model Loading",
    "Transfer Learning",
    # Best practices
    "Explainable AI",
    "Model Interpretability",
    "Feature Importance Analysis",
    "SHAP Values",
    "Model Documentation",
    "Reproducibility",
    "Random Seed",
    "Version Control",
    "Git",
    "Data Ethics",
    # Projects
    "Capstone Project",
    "End-to-End Pipeline",
    "Model Deployment",
    "Results Communication",
    "Data-Driven Decisions",
]

# A code span names a project file when it has a slash, a source-file ending or a leading dot. Spans with
# a <placeholder> (logs/<task_name>/...) name run outputs, which exist only after a run: not checked.
FILE_SUFFIXES = {".py", ".yaml", ".yml", ".toml", ".ipynb", ".md", ".example"}
CONFIG_OPTION = re.compile(r"([\w/]+)=([\w-]+)")  # group=option, e.g. experiment=tabular_diabetes


def concept_entries(text: str) -> dict[str, str]:
    """{heading: the text under it} for every `### ` heading."""
    parts = re.split(r"^### (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def is_file_reference(span: str) -> bool:
    if "<" in span or "=" in span or any(character.isspace() for character in span):
        return False
    path = span.split("::")[0]
    return "/" in path or Path(path).suffix in FILE_SUFFIXES or path.startswith(".") or path == "Makefile"


def file_reference_problems(span: str) -> list[str]:
    """`path` must exist; in `path::name`, the file must also contain `name` as a whole word."""
    relative, _, name = span.partition("::")
    path = PROJECT_DIR / relative
    if not path.exists():
        return [f"{span}: {relative} does not exist"]
    if name and not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", path.read_text(encoding="utf-8")):
        return [f"{span}: {relative} has no {name!r}"]
    return []


def command_problems(span: str) -> list[str]:
    """Modules run with `python -m`, config options chosen with `group=option`, and `make` targets."""
    problems = []
    for module in re.findall(r"python -m ([\w.]+)", span):
        module_path = PROJECT_DIR / "src" / module.replace(".", "/")
        if not (module_path.with_suffix(".py").is_file() or (module_path / "__init__.py").is_file()):
            problems.append(f"{span}: no module {module} under src/")
    for token in span.split():
        option = CONFIG_OPTION.fullmatch(token)
        # Only config groups: other key=value pairs (ckpt_path=last, seed=1) are values, not files.
        if option and (PROJECT_DIR / "configs" / option[1]).is_dir():
            config = PROJECT_DIR / "configs" / option[1] / f"{option[2]}.yaml"
            if not config.is_file():
                problems.append(f"{span}: {config.relative_to(PROJECT_DIR)} does not exist")
    makefile = (PROJECT_DIR / "Makefile").read_text()
    for target in re.findall(r"\bmake ([\w-]+)", span):
        if not re.search(rf"^{re.escape(target)}:", makefile, flags=re.MULTILINE):
            problems.append(f"{span}: the Makefile has no target {target}")
    return problems


def reference_problems(span: str) -> list[str]:
    return file_reference_problems(span) if is_file_reference(span) else command_problems(span)


def test_every_concept_has_exactly_one_entry():
    headings = re.findall(r"^### (.+)$", CONCEPT_INDEX.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert [concept for concept in CONCEPTS if concept not in headings] == [], "concepts without an entry"
    assert [heading for heading in headings if heading not in CONCEPTS] == [], "entries for no concept"
    assert len(headings) == len(set(headings)) == 55


def test_every_entry_points_at_a_project_file():
    entries = concept_entries(CONCEPT_INDEX.read_text(encoding="utf-8"))
    unmapped = [name for name, text in entries.items() if not any(map(is_file_reference, code_spans(text)))]
    assert unmapped == [], "entries that name no file, config or notebook of the project"


def test_every_file_name_option_and_command_on_the_page_exists():
    spans = code_spans(CONCEPT_INDEX.read_text(encoding="utf-8"))
    problems = [problem for span in spans for problem in reference_problems(span)]
    assert problems == []


@pytest.mark.parametrize(
    "broken",
    [
        "configs/model/no_such_model.yaml",
        "notebooks/renamed.ipynb",
        "src/{{ cookiecutter.package_name }}/models/mlp.py::no_such_function",
        "python -m {{ cookiecutter.package_name }}.no_such_module",
        "python -m {{ cookiecutter.package_name }}.train experiment=no_such_experiment",
        "make no-such-target",
    ],
)
def test_a_broken_reference_is_reported(broken):
    # Guards the checks above: a renamed file, function, config or command must not pass unnoticed.
    assert reference_problems(broken)
