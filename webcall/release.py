"""Which release is running: the package's version and the checked-out commit, read from .git without
running git (the labels of `webcall_build_info`, webcall/metrics.py; docs/operations.md).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

UNKNOWN = "unknown"


def package_version() -> str:
    """The installed itellico-webcall package's version; "unknown" when it is not installed."""
    try:
        return version("itellico-webcall")
    except PackageNotFoundError:
        return UNKNOWN


def git_commit(root: Path) -> str:
    """The checked-out commit (12 hex digits) read from .git without running git; "unknown" if none."""
    git = root / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            ref_file = git / ref
            if ref_file.is_file():
                head = ref_file.read_text().strip()
            else:  # packed by `git gc`
                lines = (git / "packed-refs").read_text().splitlines()
                head = next(line.split()[0] for line in lines if line.endswith(f" {ref}"))
    except (OSError, StopIteration, IndexError):
        return UNKNOWN
    return head[:12] if len(head) >= 12 and all(c in "0123456789abcdef" for c in head) else UNKNOWN
