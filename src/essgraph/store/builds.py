"""Build directories and the atomic `current` switch.

Layout: `store_dir/builds/<id>/` holds one finished pyoxigraph database each, and
`store_dir/current` is a relative symlink to one of them. A build writes into a fresh
directory and only then replaces the symlink with `os.replace` (atomic on POSIX), so a
reader sees either the old build or the new one, never a half-written one, and a reader that
already opened a build keeps it: it holds the resolved directory, not the symlink.
"""

from __future__ import annotations

import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

from ..errors import StoreError, StoreNotBuilt

BUILDS = "builds"
CURRENT = "current"


def new_build_dir(store_dir: Path) -> Path:
    """Create an empty, uniquely named build directory (UTC time first, so names sort)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = Path(store_dir) / BUILDS / f"{stamp}-{secrets.token_hex(3)}"
    path.mkdir(parents=True)
    return path


def switch_current(store_dir: Path, build_dir: Path) -> None:
    """Point `current` at `build_dir` in one atomic step."""
    store_dir = Path(store_dir)
    build_dir = Path(build_dir)
    if build_dir.resolve().parent != (store_dir / BUILDS).resolve() or not build_dir.is_dir():
        raise StoreError(f"{build_dir} is not a build of {store_dir}", where=str(build_dir))
    tmp = store_dir / f".{CURRENT}-{secrets.token_hex(4)}"
    os.symlink(Path(BUILDS) / build_dir.name, tmp)
    try:
        os.replace(tmp, store_dir / CURRENT)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def current_build(store_dir: Path) -> Path:
    """The resolved directory of the current build; StoreNotBuilt when there is none."""
    link = Path(store_dir) / CURRENT
    if not link.is_symlink() or not link.resolve().is_dir():
        raise StoreNotBuilt(
            "no build yet: run `essgraph build` first", where=str(Path(store_dir) / CURRENT)
        )
    return link.resolve()


def list_builds(store_dir: Path) -> list[Path]:
    """Build directories, oldest first."""
    root = Path(store_dir) / BUILDS
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir())


def prune_builds(store_dir: Path, keep: int) -> list[Path]:
    """Remove all but the `keep` newest builds besides the current one; return the removed.

    The current build is never removed. Keeping a few older builds gives readers that
    opened them before a switch time to finish.
    """
    try:
        current: Path | None = current_build(store_dir)
    except StoreNotBuilt:
        current = None
    others = [p for p in list_builds(store_dir) if p.resolve() != current]
    doomed = others[: max(len(others) - max(keep, 0), 0)]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return doomed
