"""How tests/docs/test_readme_commands.py runs the README's serving commands (this file goes with the
serving part, like the commands it runs):

- `python -m <package>.export|predict|serve ...`: run by the entry-point rule like the others (VERBS).
  `model_dir=` is made first by the README's export command with that `output_dir=`. `serve`
  builds the FastAPI app; the `curl` commands after it are replayed with TestClient against the app of the
  last `serve` before them that serves that kind of model (a table for `-d`, an image for
  `-F files=@...`).
- `python -m <package>.deployment.load_test ...` runs against the app of the last `serve` of a table model
  (an image model needs `--image`) through httpx's ASGI transport, with at most 50 requests.
- `docker build` and `docker run` need a Docker daemon: they are in NOT_RUN, and the image tag, the build
  context's Dockerfile and the published port are checked against each other and the Dockerfile's EXPOSE.
"""

import re
import shlex
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.datasets import load_diabetes, load_digits
from tests.docs.readme_commands import Rule

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT

NOT_RUN = {
    "docker build -t <slug>-api .": "needs Docker; tests/deployment/test_dockerfile.py checks the Dockerfile",
    "docker run --rm -p 8000:8000 <slug>-api": "needs Docker and the image built above",
}


def write_inputs(root: Path) -> None:
    """The files the serving commands read: new rows and images to predict, images to post."""
    patients = load_diabetes(as_frame=True).data.head(5)
    patients.insert(0, "patient_id", [f"p{number}" for number in range(5)])
    patients.to_csv(root / "data" / "raw" / "new_patients.csv", index=False)
    (root / "data" / "new_images").mkdir()
    digits = load_digits()
    images = [Image.fromarray((digits.images[i] * 15).astype(np.uint8)).resize((32, 32)) for i in range(3)]
    for number, image in enumerate(images):
        image.save(root / "data" / "new_images" / f"{number}.png")
    images[0].save(root / "digit.png")
    images[1].save(root / "another.png")


def clients(project: Any) -> dict[str, Any]:
    """The FastAPI test client of each `serve` command run so far in this project."""
    return project.parts.setdefault("serving clients", {})


def make_bundle(project: Any, overrides: list[str]) -> None:
    """The bundle of `model_dir=`, made by the README's export command with that `output_dir=`."""
    for override in overrides:
        key, _, value = override.partition("=")
        if key == "model_dir" and not Path(value).is_dir():
            pattern = rf"\boutput_dir={re.escape(value)}(\s|$)"
            (producer,) = [c for c in project.commands if re.search(pattern, c)]
            project.run(producer)


def run_export(project: Any, command: str, overrides: list[str]) -> None:
    from {{ cookiecutter.package_name }}.export import export

    # Tested with the training limits, and ONNX checked against PyTorch on a few examples.
    cfg = project.configured("export", overrides, extra=("export.parity_examples=8",))
    assert (export(cfg) / "model.onnx").is_file()


def run_predict(project: Any, command: str, overrides: list[str]) -> None:
    from {{ cookiecutter.package_name }}.predict import predict

    make_bundle(project, overrides)
    predictions = pd.read_csv(predict(project.configured("predict", overrides, limited=False)))
    assert len(predictions) and predictions["error"].isna().all(), predictions


def run_serve(project: Any, command: str, overrides: list[str]) -> None:
    from fastapi.testclient import TestClient

    from {{ cookiecutter.package_name }}.serve import build_app

    make_bundle(project, overrides)
    cfg = project.configured("serve", overrides, limited=False)
    client = TestClient(build_app(cfg))
    assert client.get("/health").json() == {"status": "ok"}
    assert (cfg.host, cfg.port) == ("127.0.0.1", 8000)  # where the README's curl commands go
    clients(project)[command] = client


def served(project: Any, command: str, kind: str | None) -> Any:
    """The app of the README's last `serve` command before `command` that serves a `kind` model."""
    before = project.commands[: project.commands.index(command)]
    serves = [c for c in before if c.startswith("python -m <package>.serve")]
    for serve in reversed(serves):
        project.run(serve)
        client = clients(project)[serve]
        if kind in (None, client.get("/metadata").json()["input_schema"]["kind"]):
            return client
    raise AssertionError(f"no `serve` of a {kind or 'any'} model before {command}")


def replay_curl(project: Any, command: str) -> None:
    """The request, sent with TestClient to the app of the README's last `serve` command before it."""
    words, method, url, headers, body, files = shlex.split(command)[1:], "GET", None, {}, None, []
    while words:
        word = words.pop(0)
        if word == "-s":
            continue
        if word == "-X":
            method = words.pop(0)
        elif word == "-H":
            name, value = words.pop(0).split(":", 1)
            headers[name.strip()] = value.strip()
        elif word == "-d":
            body = words.pop(0)
        elif word == "-F":
            name, path = words.pop(0).split("=@", 1)
            files.append((name, (path, Path(path).read_bytes(), "image/png")))
        elif word.startswith("http"):
            url = urlsplit(word)
        else:
            raise AssertionError(f"a curl option this test cannot replay: {word}")
    assert url.netloc == "127.0.0.1:8000", url
    client = served(project, command, "image" if files else "table" if body else None)
    response = client.request(method, url.path, headers=headers, content=body, files=files)
    assert response.status_code == 200, response.text


def run_load_test(project: Any, command: str) -> None:
    """The load test, through httpx's ASGI transport to the served app, with at most 50 requests."""
    import httpx

    from {{ cookiecutter.package_name }}.deployment import load_test

    arguments = shlex.split(command)[3:]
    if "--requests" in arguments:
        position = arguments.index("--requests") + 1
        arguments[position] = str(min(int(arguments[position]), 50))
    client = served(project, command, "image" if "--image" in arguments else "table")
    run = load_test.run_load_test

    def in_process(url: str, requests: int, concurrency: int, **options) -> load_test.LoadTestResult:
        assert url == "http://127.0.0.1:8000", url  # where `serve` answers
        return run(url, requests, concurrency, transport=httpx.ASGITransport(app=client.app), **options)

    with mock.patch.object(load_test, "run_load_test", in_process):
        assert load_test.main(arguments) == 0


def check_docker(project: Any, command: str) -> None:
    """Docker cannot run here: the command is in NOT_RUN, and it fits the Dockerfile and the build."""
    assert command in NOT_RUN, f"{command}: Docker cannot run in a test: add it to NOT_RUN with the reason"
    words = shlex.split(command)
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    if words[1] == "build":
        assert words[-1] == "." and words[2] == "-t", command
    else:
        built = [c for c in project.commands if c.startswith("docker build -t ")]
        assert words[-1] in [shlex.split(c)[3] for c in built], f"{words[-1]} is not built by the README"
        published = words[words.index("-p") + 1].split(":")[-1]
        assert f"\nEXPOSE {published}\n" in dockerfile, f"the Dockerfile does not expose {published}"


# The serving entry points, run like the others once their overrides are filled in.
VERBS = {"export": run_export, "predict": run_predict, "serve": run_serve}
RULES = [
    Rule("request to the API", r"curl .+", replay_curl),
    Rule("load test", r"python -m <package>\.deployment\.load_test( .*)?", run_load_test),
    Rule("container", r"docker (build|run) .+", check_docker),
]
