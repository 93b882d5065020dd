"""An Optuna sweeper for Hydra, on current Optuna (the published hydra-optuna-sweeper pins Optuna < 3).

Selected with `hydra/sweeper=optuna` (the `hparams_search` configs do it); its options take the
published plugin's names: hydra.sweeper.n_trials, study_name, storage, n_jobs, direction, params, sampler.
Hydra imports every module here at start-up, so this one stays light and imports Optuna only to sweep.
"""

from collections.abc import Mapping
from typing import Any

from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf


def plain(node: DictConfig | None) -> dict | None:
    return OmegaConf.to_container(node, resolve=True) if node is not None else None


class OptunaSweeper(Sweeper):
    def __init__(
        self,
        study_name: str,
        storage: str | None = None,
        direction: str = "maximize",
        n_trials: int = 20,
        n_jobs: int = 1,
        max_failure_rate: float = 0.5,
        params: Mapping[str, str] | None = None,
        sampler: Any = None,
        pruner: Any = None,
    ) -> None:
        self.study_name = study_name
        self.storage = storage
        self.direction = direction
        self.n_trials = int(n_trials)
        self.n_jobs = max(1, int(n_jobs))
        self.max_failure_rate = float(max_failure_rate)
        self.params = OmegaConf.to_container(params) if isinstance(params, DictConfig) else dict(params or {})
        self.sampler = sampler
        self.pruner = pruner
        self.sampler_config: dict | None = None
        self.pruner_config: dict | None = None
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None  # read by Sweeper.validate_batch_is_legal
        self.launcher = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        # The sampler's and pruner's settings: to reseed on a resumed study, and for the runs, as Optuna's
        # storage keeps trials but neither of these.
        self.sampler_config = plain(config.hydra.sweeper.get("sampler"))
        self.pruner_config = plain(config.hydra.sweeper.get("pruner"))
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> Any:
        from {{ cookiecutter.package_name }}.sweeps.runner import run_study

        return run_study(self, arguments)
