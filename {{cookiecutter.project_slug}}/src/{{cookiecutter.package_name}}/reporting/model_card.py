"""`MODEL_CARD.md`: a Hugging Face-compatible model card, written into every train and eval run directory.

The YAML front matter (licence, tags, metrics as `model-index`) is built by `huggingface_hub`, so the Hub
and `huggingface_hub.ModelCard.load` read it. The text is `templates/model_card.md.j2`, filled from what
the run knows (model, data, metrics with bootstrap intervals, baselines, fairness, how to reproduce) and
from `configs/model_card/` for what only the author knows: unanswered questions stay visibly marked TO DO.
"""

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from ..run_directory import MODEL_CARD
from .console import comparison

TEMPLATE = Path(__file__).parent / "templates" / "model_card.md.j2"
CONFIG_FILE = "configs/model_card/default.yaml"
# Model-card fields the author writes; each unanswered one becomes a TO DO in the card.
AUTHOR_FIELDS = ("intended_use", "out_of_scope_uses", "limitations")
# The data-ethics questions every card answers.
ETHICS = ("privacy", "consent", "fairness", "transparency", "accountability")
# Hyperparameters shown elsewhere in the card, or too long for a table.
HIDDEN_HPARAMS = {"class_names", "preprocessing", "class_counts", "bin_edges"}


TODO_MARKER = "**TO DO:**"


def todo(field: str) -> str:
    return f"{TODO_MARKER} answer `{field}` in `{CONFIG_FILE}`; it is not filled in yet."


def answered(config: Mapping[str, Any], field: str, path: str | None = None) -> str:
    """The author's answer as markdown (a list becomes bullet points), or a TO DO."""
    value = config.get(field)
    if not value:
        return todo(path or field)
    if isinstance(value, list | tuple):
        return "\n".join(f"- {item}" for item in value)
    return str(value).strip()


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def task_type(model) -> str:
    if not hasattr(model.hparams, "task"):
        return "image-classification"
    return "tabular-regression" if model.is_regression else "tabular-classification"


def balance_table(data: Mapping[str, Any]) -> tuple[str, str]:
    """Class counts per split (images), the target's distribution (tables), as a markdown table."""
    if "class_counts" in data:
        counts = data["class_counts"]
        splits = list(counts)
        rows = [f"| class | {' | '.join(splits)} |", "|---|" + "---:|" * len(splits)]
        for name in next(iter(counts.values())):
            rows.append(f"| {name} | " + " | ".join(str(counts[split][name]) for split in splits) + " |")
        return "Class balance per split:", "\n".join(rows)
    distribution = data.get("target_distribution") or {}
    rows = ["| value | count or statistic |", "|---|---:|"]
    rows += [f"| {key} | {value:.4g} |" for key, value in distribution.items()]
    return f"Distribution of the target `{data.get('target')}` (all clean rows):", "\n".join(rows)


def results_rows(test_metrics: Mapping[str, float], intervals: Mapping[str, Mapping[str, float]]):
    return [
        {
            "name": name,
            "low": intervals[name]["low"],
            "high": intervals[name]["high"],
            "value": test_metrics[name],
        }
        for name in intervals
        if name in test_metrics
    ]


def card_data(
    config: Mapping[str, Any], model, test_metrics: Mapping[str, float], dataset: str
) -> ModelCardData:
    results = [
        EvalResult(
            task_type=task_type(model),
            dataset_type=dataset,
            dataset_name=dataset,
            dataset_split="test",
            metric_type=name.removeprefix("test/"),
            metric_name=name,
            metric_value=value,
        )
        for name, value in test_metrics.items()
        if name != "test/loss"
    ]
    return ModelCardData(
        model_name=config["model_name"],
        license=config.get("license"),
        tags=list(config.get("tags") or []),
        library_name="pytorch",
        datasets=[dataset],
        metrics=[result.metric_type for result in results],
        eval_results=results,
    )


def write_model_card(
    output_dir: Path,
    config: Mapping[str, Any],
    model,
    data: Mapping[str, Any],
    evaluation: Mapping[str, Any],
    record: Mapping[str, Any],
    scrub=str,
) -> Path:
    """`data`: `describe_data(datamodule)` (data_description.py) plus `fingerprint`; `evaluation`:
    `test_metrics`, `intervals`, `baselines`, `resamples`, `confidence_level`, `fairness` (markdown) and
    `entry_point`; `record`: the run record's content; `scrub` masks secrets in the finished text."""
    test_metrics = evaluation["test_metrics"]
    fingerprint = data["fingerprint"]
    dataset = str(fingerprint.get("dataset", "dataset"))
    ethics_answers = config.get("ethics") or {}
    ethics = {question: answered(ethics_answers, question, f"ethics.{question}") for question in ETHICS}
    authors = list(config.get("authors") or []) or [todo("authors")]
    answers = {field: answered(config, field) for field in AUTHOR_FIELDS}
    missing = sum(text.startswith(TODO_MARKER) for text in [*answers.values(), *ethics.values(), *authors])
    hparams = {
        name: value
        for name, value in flatten(dict(model.hparams)).items()
        if name.split(".")[0] not in HIDDEN_HPARAMS and not name.endswith("._partial_")
    }
    cfg = record.get("config") or {}
    trained = record.get("training") or {}
    settings = {
        "seed": record.get("seed"),
        # As resolved (data.batch_size=auto is chosen from the table) where the run recorded it.
        "batch size": trained.get("batch_size", (cfg.get("data") or {}).get("batch_size")),
        "global batch size": cfg.get("global_batch_size"),
        "max epochs": (cfg.get("trainer") or {}).get("max_epochs"),
        "precision": (cfg.get("trainer") or {}).get("precision"),
        **hparams,
    }
    balance_title, balance = balance_table(data)
    metric_names, baseline_cells = comparison(
        test_metrics, evaluation.get("baselines") or {}, trained.get("seconds"), "network (this model)"
    )
    baselines = [{"model": model, "cells": " | ".join(cells)} for model, cells in baseline_cells.items()]
    git = record.get("git") or {}
    overrides = " ".join(shlex.quote(override) for override in record.get("overrides") or [])
    reproduce_note = (
        "The code had uncommitted changes when this ran: the run record (`run_record.json`) holds them as a "
        "patch. Commit before runs you report."
        if git.get("dirty")
        else "The run record (`run_record.json`) holds the full config, package versions and hardware."
        if git.get("commit")
        else "The project was not a git repository when this ran: without a commit, the code of this run "
        "cannot be recovered. Run `git init` and commit before runs you report."
    )
    card = ModelCard.from_template(
        card_data(config, model, test_metrics, dataset),
        template_path=str(TEMPLATE),
        model_name=config["model_name"],
        description=config.get("description") or "",
        todo_note=(
            f"**{missing} question(s) below are not answered yet** (marked TO DO): edit `{CONFIG_FILE}`, "
            "then run again or `make model-card`."
            if missing
            else ""
        ),
        model={
            "architecture": model.architecture,
            "class_name": type(model).__name__,
            "parameters": sum(p.numel() for p in model.parameters()),
            "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        },
        task=task_type(model),
        class_names=None if model.is_regression else list(model.hparams.class_names),
        authors=authors,
        trained_at=record.get("started_at"),
        training={
            **(trained or {"epochs": "?", "steps": "?"}),
            "settings": {k: v for k, v in settings.items() if v is not None},
        },
        **answers,
        data={
            "source": data.get("source", dataset),
            "fingerprint": f"{dataset} sha256:{str(fingerprint.get('sha256', '?'))[:16]}",
            "split_sizes": data["split_sizes"],
            "balance_title": balance_title,
            "balance": balance,
            "preprocessing": data.get("preprocessing", "none"),
        },
        confidence_percent=round(100 * evaluation["confidence_level"]),
        resamples=evaluation["resamples"],
        results=results_rows(test_metrics, evaluation["intervals"]),
        baseline_metrics=metric_names,
        baselines=baselines if evaluation.get("baselines") else [],
        fairness=evaluation.get("fairness")
        or "No sensitive attributes were configured (`data.sensitive`), so "
        "no fairness analysis ran. Name the columns that describe groups of people to measure it.",
        ethics=ethics,
        reproduce={
            "commit": git.get("commit"),
            "command": f"python -m {evaluation['entry_point']} {overrides}".rstrip(),
            "note": reproduce_note,
        },
    )
    path = Path(output_dir) / MODEL_CARD
    path.write_text(scrub(str(card)) + "\n", encoding="utf-8")
    return path
