"""Serve a model bundle (made by `export`) over HTTP:

    python -m {{ cookiecutter.package_name }}.serve model_dir=<bundle> \\
        [port=8000] [host=127.0.0.1] [runtime=onnx|torch]

The API (see `deployment/api.py`) answers `GET /health`, `GET /metadata` and `POST /predict`, with its
OpenAPI schema and interactive docs at /docs. It binds 127.0.0.1, this machine only, unless told otherwise.
"""

import logging

from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.cli import command

log = logging.getLogger(__name__)


def build_app(cfg: DictConfig):
    """The FastAPI application for `cfg.model_dir`, its limits from `cfg.limits`."""
    from hydra.utils import instantiate

    from {{ cookiecutter.package_name }}.config_checks import check_startup
    from {{ cookiecutter.package_name }}.deployment.api import create_app
    from {{ cookiecutter.package_name }}.deployment.config_schemas import ServeSchema
    from {{ cookiecutter.package_name }}.deployment.predictor import Predictor
    from {{ cookiecutter.package_name }}.errors import ConfigError

    check_startup(cfg, ServeSchema)
    if not cfg.get("model_dir"):
        raise ConfigError("serve needs model_dir=<folder written by python -m <package>.export>.")
    return create_app(Predictor(cfg.model_dir, cfg.runtime), instantiate(cfg.limits))


@command("serve")
def main(cfg: DictConfig) -> None:
    import uvicorn

    app = build_app(cfg)
    log.info(
        "Serving %s with %s on http://%s:%d (docs at /docs)", cfg.model_dir, cfg.runtime, cfg.host, cfg.port
    )
    uvicorn.run(
        app,
        host=cfg.host,
        port=cfg.port,
        timeout_keep_alive=cfg.timeout_keep_alive,
        access_log=cfg.access_log,
        log_config=None,  # Hydra's logging: the console and the run's serve.log
    )


if __name__ == "__main__":
    main()
