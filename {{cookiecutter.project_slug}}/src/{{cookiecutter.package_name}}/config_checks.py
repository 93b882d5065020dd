"""Refuse a bad configuration at start-up, before any data is loaded or any compute is spent. Every verb
runs `check_startup` first; training also runs `check_monitor` once its model is built.

Hydra already refuses an unknown option of a group (`model=resnet19`, listing the options) and a key that
is not in the config (`trainer.max_epoch=3`). What it lets through, this module catches, naming the config
path of every problem and what would be valid:
- a key that the class or function it configures does not take, added with `+` or in a YAML file
  (`+trainer.max_epoch=3`), with the closest valid names;
- a value of the wrong type for an argument typed int, float, bool or str (`trainer.max_epochs=ten`);
- a required value left as `???`;
- an unknown or mistyped top-level setting (`monitor.mode=maximum`, `seed=abc`).

Each node with a `_target_` is checked against a schema built from its target's signature, so the schema
of every group (data, model, trainer, callbacks, loggers, optimizer, scheduler) follows the code it
configures and never goes stale; the top-level settings have a hand-written schema, `TrainSchema`.
"""

import dataclasses
import difflib
import inspect
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

from hydra.utils import get_object
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .config import LIGHTNING_SCHEDULER_KEYS
from .errors import ConfigError

PLAIN_TYPES = (int, float, bool, str)
MONITOR_MODES = ("min", "max")


@dataclasses.dataclass
class MonitorSchema:
    metric: str | None = None
    mode: str = "max"


@dataclasses.dataclass
class OptunaTrialSchema:
    storage: str | None = None
    study_name: str | None = None
    trial_id: int | None = None
    pruner: Any = None


@dataclasses.dataclass
class ReportSchema:
    bootstrap_resamples: int = 1000
    confidence_level: float = 0.95
    min_group_size: int = 30


@dataclasses.dataclass
class ExplainSchema:
    after_training: bool = True
    samples: int = 200
    background: int = 100
    permutation_repeats: int = 5
    images: int = 16
    steps: int = 32


@dataclasses.dataclass
class PathsSchema:
    root_dir: str = MISSING
    data_dir: str = MISSING
    log_dir: str = MISSING
    runs_dir: str = MISSING
    output_dir: str = MISSING


@dataclasses.dataclass
class TrainSchema:
    """The top-level settings of `configs/train.yaml` (and `eval.yaml`, which composes it). The groups are
    `Any` here: each is checked against the signature of its `_target_`."""

    task_name: str = MISSING
    tags: list[str] | None = dataclasses.field(default_factory=list)
    seed: int | None = None
    global_batch_size: int | None = None
    compile: bool = False
    ckpt_path: str | None = None
    monitor: MonitorSchema = dataclasses.field(default_factory=MonitorSchema)
    optimized_metric: str | None = None
    optuna_trial: OptunaTrialSchema = dataclasses.field(default_factory=OptunaTrialSchema)
    compare_baselines: bool = True
    report: ReportSchema = dataclasses.field(default_factory=ReportSchema)
    explain: ExplainSchema = dataclasses.field(default_factory=ExplainSchema)
    backbone_export_path: str | None = None
    paths: PathsSchema = dataclasses.field(default_factory=PathsSchema)
    data: Any = None
    model: Any = None
    callbacks: Any = None
    logger: Any = None
    trainer: Any = None
    model_card: Any = None


def check_startup(cfg: DictConfig, schema: type = TrainSchema) -> None:
    """The checks of every verb, before it loads anything: the configuration against `schema` and its
    targets' signatures; for the verbs that test or train, the report settings and the accelerator this
    machine must have."""
    check_config(cfg, schema)
    if "report" in cfg:
        check_report_settings(cfg)
    if "trainer" in cfg:
        from .utils.accelerators import require_accelerator  # imports PyTorch: not for `--help`

        require_accelerator(cfg.trainer.accelerator)


def check_report_settings(cfg: DictConfig) -> None:
    """Refuse settings the reports after testing could not use."""
    problems = []
    if not 0 < cfg.report.confidence_level < 1:
        problems.append(
            f"report.confidence_level={cfg.report.confidence_level} must lie between 0 and 1 (0.95)"
        )
    if cfg.report.bootstrap_resamples < 1:
        problems.append(
            f"report.bootstrap_resamples={cfg.report.bootstrap_resamples} must be at least 1 (1000)"
        )
    if cfg.report.min_group_size < 1:
        problems.append(f"report.min_group_size={cfg.report.min_group_size} must be at least 1 (30)")
    for name in ("samples", "background", "permutation_repeats", "images", "steps"):
        if cfg.explain[name] < 1:
            problems.append(f"explain.{name}={cfg.explain[name]} must be at least 1")
    if problems:
        raise ConfigError("Invalid report settings: " + "; ".join(problems) + ".")


def check_monitor(monitor: DictConfig | None, model: Any) -> None:
    """Refuse, before training, to monitor a metric the model never logs (e.g. accuracy of a regression)."""
    if not monitor or not monitor.get("metric"):
        return
    logged = sorted({"val/loss", *model.val_metrics.keys()})
    if monitor.metric not in {*logged, "epoch", "step"}:
        raise ConfigError(
            f"monitor.metric={monitor.metric} is never logged by {type(model).__name__} here: choose one of "
            f"{logged}, e.g. monitor.metric=val/loss monitor.mode=min (the tabular experiments do so)."
        )


def check_config(cfg: DictConfig, schema: type = TrainSchema) -> None:
    """Raise ConfigError listing every problem in `cfg`; return quietly when there is none."""
    problems = [
        *missing_values(cfg),
        *node_problems(cfg, schema, path="", accepts_any_key=False),
        *target_problems(cfg),
    ]
    if cfg.get("monitor") and cfg.monitor.get("mode") not in MONITOR_MODES:
        problems.append(f"monitor.mode: '{cfg.monitor.mode}' is not one of {', '.join(MONITOR_MODES)}.")
    if problems:
        raise ConfigError(
            "The configuration has problems; nothing was run:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
            + "\nSee the composed config with `--cfg job`, and each group's options in configs/<group>/."
        )


def missing_values(node: Any, path: str = "") -> Iterator[str]:
    """Every `???` (a value the config requires you to give), without resolving interpolations."""
    keys = node.keys() if isinstance(node, DictConfig) else range(len(node))
    for key in keys:
        child_path = f"{path}.{key}" if path else str(key)
        if OmegaConf.is_missing(node, key):
            yield f"{child_path}: a value is required (???); give one, e.g. {child_path}=<value>."
            continue
        if is_container(node._get_node(key)):
            yield from missing_values(node._get_node(key), child_path)


def is_container(node: Any) -> bool:
    """A dict or list node to walk into: not None, and not an interpolation (which points elsewhere)."""
    return isinstance(node, DictConfig | ListConfig) and not node._is_none() and not node._is_interpolation()


def targeted_nodes(node: Any, path: str = "") -> Iterator[tuple[str, DictConfig]]:
    """(config path, node) for every node with a `_target_`, nested ones included."""
    if not isinstance(node, DictConfig) or not is_container(node):
        return
    if "_target_" in node:
        yield path, node
    for key in node:
        child = node._get_node(key)
        if isinstance(child, DictConfig):
            yield from targeted_nodes(child, f"{path}.{key}" if path else str(key))


def target_problems(cfg: DictConfig) -> Iterator[str]:
    for path, node in targeted_nodes(cfg):
        try:
            target = get_object(node._target_)
        except Exception as error:  # noqa: BLE001 - Hydra raises several kinds; the message says it all
            yield f"{path}._target_: cannot import {node._target_} ({error})."
            continue
        schema, accepts_any_key = signature_schema(target, keys_beside_arguments(path))
        yield from node_problems(node, schema, path, accepts_any_key, owner=node._target_)


def keys_beside_arguments(path: str) -> tuple[str, ...]:
    """Keys that the node at `path` holds for the code that builds it, next to its target's arguments:
    Lightning's `interval` and `monitor` beside a learning-rate scheduler's (`configs/scheduler/`)."""
    if path != "model.scheduler":
        return ()
    return LIGHTNING_SCHEDULER_KEYS


def signature_schema(target: Callable, extra_keys: tuple[str, ...] = ()) -> tuple[type, bool]:
    """A dataclass with one field per argument of `target`, typed where the annotation is a plain type
    (int, float, bool, str or an optional one), plus untyped `extra_keys`, and whether `target` also takes
    any other keyword."""
    try:
        parameters = inspect.signature(target).parameters.values()
    except (
        TypeError,
        ValueError,
    ):  # builtins (torch.device, dict) have none: any key may be right
        return dataclasses.make_dataclass("AnySchema", []), True
    try:
        hints = typing.get_type_hints(target.__init__ if inspect.isclass(target) else target)
    except Exception:  # noqa: BLE001 - unresolvable annotations only cost the type checks
        hints = {}
    fields = [
        (parameter.name, schema_type(hints.get(parameter.name), parameter.default), MISSING)
        for parameter in parameters
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    ]
    fields += [(key, Any, MISSING) for key in extra_keys]
    accepts_any_key = any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters)
    schema = dataclasses.make_dataclass(f"{getattr(target, '__name__', 'Target')}Schema", fields)
    return schema, accepts_any_key


def schema_type(annotation: Any, default: Any) -> Any:
    """The annotation when OmegaConf can check it (a plain type, optional or not), else Any."""
    arguments = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in arguments:
        rest = [argument for argument in arguments if argument is not type(None)]
        return rest[0] | None if len(rest) == 1 and rest[0] in PLAIN_TYPES else Any
    if annotation in PLAIN_TYPES:
        return annotation | None if default is None else annotation
    return Any


def node_problems(
    node: DictConfig, schema: type, path: str, accepts_any_key: bool, owner: str | None = None
) -> Iterator[str]:
    """Keys of `node` that `schema` does not have (unless any key is accepted), and values that OmegaConf
    cannot convert to their field's type. One key at a time, so that every problem is reported."""
    valid = [field.name for field in dataclasses.fields(schema)]
    structured = OmegaConf.structured(schema)
    for key in node:
        if str(key).startswith("_") and str(key).endswith("_"):
            continue  # Hydra's own keys: _target_, _partial_, _recursive_, _convert_, _args_
        key_path = f"{path}.{key}" if path else str(key)
        if key not in valid:
            if not accepts_any_key:
                yield unknown_key(key_path, str(key), valid, owner)
            continue
        nested = nested_schema(schema, str(key))
        child = node._get_node(key)
        if nested is not None and isinstance(child, DictConfig) and is_container(child):
            yield from node_problems(child, nested, key_path, accepts_any_key=False)
            continue
        try:
            value = node[key]  # resolved, so an interpolation is checked by the value it stands for
            if isinstance(value, DictConfig | ListConfig):
                value = OmegaConf.to_container(value, resolve=True)
        except OmegaConfBaseException:
            continue  # it fails later, with its own message, where it is used
        try:
            OmegaConf.merge(structured, {key: value})
        except OmegaConfBaseException as error:
            yield f"{key_path}: {str(error).splitlines()[0]}"


def nested_schema(schema: type, key: str) -> type | None:
    """The dataclass of field `key` of `schema`, when it is one (monitor, report, explain, paths)."""
    kind = next(field.type for field in dataclasses.fields(schema) if field.name == key)
    return kind if dataclasses.is_dataclass(kind) else None


def unknown_key(key_path: str, key: str, valid: list[str], owner: str | None) -> str:
    where = (
        f"{owner} takes no argument '{key}'"
        if owner
        else f"'{key}' is not a setting (a new one your code reads goes into the schemas of config_checks.py)"
    )
    close = difflib.get_close_matches(key, valid, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    return f"{key_path}: {where}.{hint} Valid: {', '.join(sorted(valid))}."
