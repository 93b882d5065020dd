"""One experiment-tracker run per run (utils/trackers.py): a run's W&B or MLflow run is its own, ends with
the run's outcome, and a resumed training continues it. The sweeps' share is in tests/sweeps/."""

from contextlib import suppress
from pathlib import Path

import optuna
import pytest
from tests.conftest import offline_wandb_runs, train_tiny

from {{ cookiecutter.package_name }}.run_directory import (
    CHECKPOINTS_DIR,
    LAST_CHECKPOINT,
    RUN_RECORD,
    TRACKER_RUNS,
    read_json,
    write_json,
)
from {{ cookiecutter.package_name }}.utils.instantiate import instantiate_loggers
from {{ cookiecutter.package_name }}.utils.trackers import (
    continue_tracker_runs,
    run_outcome,
    tracker_runs,
)

# scheduler=cosine: runs are extended, which a one-cycle schedule is not (tests/models/test_schedulers.py).
TABLE = ["experiment=tabular_breast_cancer", "scheduler=cosine", "compare_baselines=false"]


# ckpt_path: resumed by hand, into a new run directory; hydra.run.dir: a requeued cluster job, restarted in
# its own directory.
@pytest.mark.parametrize("resume", ["ckpt_path={run}", "hydra.run.dir={run}"])
def test_a_resumed_training_continues_its_own_wandb_run(offline_wandb, tmp_path, resume):
    logs = tmp_path / "logs"
    first = train_tiny([*TABLE, "logger=wandb"], logs).parents[1]
    (run_id,) = offline_wandb_runs(first)
    assert read_json(first / TRACKER_RUNS) == {"wandb": run_id}
    # Not a sweep's trial: grouped with the runs of its task, and named after its directory.
    wandb = read_json(first / RUN_RECORD)["config"]["logger"]["wandb"]
    assert (wandb["group"], wandb["name"]) == ("tabular_breast_cancer", f"tabular_breast_cancer-{first.name}")

    resumed = train_tiny([*TABLE, "logger=wandb", resume.format(run=first), "trainer.max_epochs=2"], logs)
    resumed = resumed.parents[1]
    # Two parts of the same W&B run (`wandb sync` uploads both into it), the second in the resumed directory.
    assert [path.name.endswith(run_id) for path in logs.rglob("offline-run-*")] == [True, True]
    assert run_id in offline_wandb_runs(resumed)
    assert read_json(resumed / TRACKER_RUNS) == {"wandb": run_id}
    assert offline_wandb.run is None  # finished with the run: the next one in this process starts its own


def test_a_failed_run_finishes_its_wandb_run_as_failed(offline_wandb, make_config, monkeypatch):
    exit_codes = []
    finish = offline_wandb.Run.finish

    def recorded_finish(run, exit_code=None):
        exit_codes.append(exit_code)
        finish(run, exit_code=exit_code)

    monkeypatch.setattr(offline_wandb.Run, "finish", recorded_finish)
    cfg = make_config("train", "logger=wandb")
    with pytest.raises(RuntimeError, match="injected"), tracker_runs(cfg):
        instantiate_loggers(cfg.logger)
        raise RuntimeError("CUDA out of memory (injected)")
    assert exit_codes == [1]
    assert offline_wandb.run is None


def test_a_fast_dev_run_opens_no_tracker_run(offline_wandb, tmp_path):
    run_dir = train_tiny([*TABLE, "debug=fdr", "logger=wandb"], tmp_path / "logs").parents[1]
    assert (run_dir / RUN_RECORD).is_file()
    assert (offline_wandb_runs(run_dir), (run_dir / TRACKER_RUNS).exists()) == ([], False)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (None, (0, "FINISHED")),
        (optuna.TrialPruned(), (0, "FINISHED")),  # a sweep trial stopped early, as designed
        (SystemExit(143), (143, "KILLED")),  # SIGTERM (callbacks/preemption_checkpoint.py)
        (KeyboardInterrupt(), (130, "KILLED")),
        (SystemExit("Error: data.path does not exist"), (1, "FAILED")),
        (RuntimeError("CUDA out of memory"), (1, "FAILED")),
    ],
)
def test_how_a_run_ends_is_how_its_tracker_runs_end(error, outcome):
    assert run_outcome(error) == outcome


def test_only_a_checkpoint_of_a_run_directory_continues_that_runs_trackers(make_config, tmp_path):
    checkpoint = tmp_path / "run" / CHECKPOINTS_DIR / LAST_CHECKPOINT
    checkpoint.parent.mkdir(parents=True)
    write_json({"wandb": "3x4mpl3w", "mlflow": "0f9e1d"}, tmp_path / "run" / TRACKER_RUNS)
    cfg = make_config("train", "logger=wandb")
    continue_tracker_runs(cfg, tmp_path / "downloaded.ckpt")
    assert cfg.logger.wandb.get("id") is None
    continue_tracker_runs(cfg, checkpoint)
    assert (cfg.logger.wandb.id, cfg.logger.wandb.resume) == ("3x4mpl3w", "allow")
    cfg = make_config("train", "logger=mlflow")
    continue_tracker_runs(cfg, checkpoint)
    assert cfg.logger.mlflow.run_id == "0f9e1d"


def test_each_run_has_its_own_mlflow_run_which_ends_with_it_and_goes_on_when_resumed(make_config):
    pytest.importorskip("mlflow", reason="logger=mlflow is an optional extra: pip install -e '.[mlflow]'")

    def mlflow_run(error: Exception | None = None, resumed: Path | None = None):
        """(run directory, MLflow status while the run runs, the MLflow run once it has ended)."""
        cfg = make_config("train", "logger=mlflow")
        if resumed:
            continue_tracker_runs(cfg, resumed / CHECKPOINTS_DIR / LAST_CHECKPOINT)
        with suppress(RuntimeError), tracker_runs(cfg):
            (logger,) = instantiate_loggers(cfg.logger)
            running = logger.experiment.get_run(logger.run_id).info.status
            if error:
                raise error
        return Path(cfg.paths.output_dir), running, logger.experiment.get_run(logger.run_id)

    completed_dir, _, completed = mlflow_run()
    failed_dir, _, failed = mlflow_run(RuntimeError("injected"))
    assert (completed.info.status, failed.info.status) == ("FINISHED", "FAILED")
    assert completed.info.run_id != failed.info.run_id
    assert completed.data.tags["group"] == "train"
    assert read_json(completed_dir / TRACKER_RUNS) == {"mlflow": completed.info.run_id}
    # Resumed, the failed run runs again, in the same MLflow run, and ends as the resumed run ends.
    _, running, continued = mlflow_run(resumed=failed_dir)
    assert continued.info.run_id == failed.info.run_id
    assert (running, continued.info.status) == ("RUNNING", "FINISHED")
