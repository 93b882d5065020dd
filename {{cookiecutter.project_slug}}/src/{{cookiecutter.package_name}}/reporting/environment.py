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
MAX_NEW_FILE_BYTES = 100_000


def _git(project_root: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(
        ["git", *args], cwd=project_root, capture_output=True, text=True, check=check, timeout=30
    )
    return result.stdout


def new_file_patch(project_root: Path, paths: list[str]) -> str:
    """Untracked files as additions, so code not yet added to git is in the record too; files over
    `MAX_NEW_FILE_BYTES` (data, not code) are only listed."""
    small = [path for path in paths if (project_root / path).stat().st_size <= MAX_NEW_FILE_BYTES]
    # `git diff --no-index` exits with 1 when the files differ, which is always the case here.
    return "".join(
        _git(project_root, "diff", "--no-index", "--", "/dev/null", path, check=False) for path in small
    )


def git_state(project_root: Path) -> dict[str, Any]:
    """Commit, branch, whether the tree is dirty, and the uncommitted changes (new files too) as a patch."""
    try:
        _git(project_root, "rev-parse", "--git-dir")
    except (
        OSError,
        subprocess.SubprocessError,
    ):
        return {"commit": None, "note": "not a git repository (or git is not installed): commit your code"}
    try:
        commit = _git(project_root, "rev-parse", "HEAD").strip()
    except subprocess.SubprocessError:
        return {"commit": None, "note": "a git repository without commits yet: commit your code"}
    status = _git(project_root, "status", "--porcelain", "--untracked-files=all").splitlines()
    untracked = [line[3:].strip('"') for line in status if line.startswith("??")]
    patch = _git(project_root, "diff", "HEAD") + new_file_patch(project_root, untracked)
    if len(patch) > MAX_PATCH_CHARS:
        patch = patch[:MAX_PATCH_CHARS] + f"\n... cut at {MAX_PATCH_CHARS} characters\n"
    return {
        "commit": commit,
        "branch": _git(project_root, "rev-parse", "--abbrev-ref", "HEAD").strip(),
        "dirty": bool(status),
        "untracked_files": untracked,
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
