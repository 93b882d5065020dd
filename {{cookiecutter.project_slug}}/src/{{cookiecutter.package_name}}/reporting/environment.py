"""Where and with what a run ran: the code's git state, the software and the hardware."""

import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

# A patch larger than this is cut: the record must stay readable, and such a change belongs in a commit.
MAX_PATCH_CHARS = 200_000


def _git(project_root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=project_root, capture_output=True, text=True, check=True, timeout=30
    )
    return result.stdout


def git_state(project_root: Path) -> dict[str, Any]:
    """Commit, branch, whether the tree is dirty, and the uncommitted changes as a patch."""
    try:
        commit = _git(project_root, "rev-parse", "HEAD").strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "note": "not a git repository (or git is not installed): commit your code"}
    status = _git(project_root, "status", "--porcelain").splitlines()
    patch = _git(project_root, "diff", "HEAD")
    if len(patch) > MAX_PATCH_CHARS:
        patch = patch[:MAX_PATCH_CHARS] + f"\n... cut at {MAX_PATCH_CHARS} characters\n"
    return {
        "commit": commit,
        "branch": _git(project_root, "rev-parse", "--abbrev-ref", "HEAD").strip(),
        "dirty": bool(status),
        "untracked_files": [line[3:] for line in status if line.startswith("??")],
        "patch": patch,
    }


def package_versions() -> dict[str, str]:
    """Every installed distribution, like `pip freeze`: enough to rebuild the environment."""
    versions = {dist.metadata["Name"]: dist.version for dist in importlib.metadata.distributions()}
    return dict(sorted(versions.items(), key=lambda item: item[0].lower()))


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def hardware() -> dict[str, Any]:
    import torch

    gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "gpu_count": len(gpus),
        "gpus": gpus,
        "mps_available": torch.backends.mps.is_available(),
        "hostname": platform.node(),
    }


def software() -> dict[str, Any]:
    import torch

    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": cudnn,
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
        "packages": package_versions(),
    }
