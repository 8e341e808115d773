"""Making a rename survive a power cut: the folder that holds the new name is synced too.

A file renamed into place is durable only once its directory entry is on disk; every
writer of results (the signed PDF, an unsigned fallback) calls this after its rename.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def durable_move(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst`` so that ``dst`` is complete and on disk, or not there at all,
    and ``src`` is gone only once ``dst`` is durable — across file systems too (a hot folder
    on a network share, the archive on a local disk)."""
    with src.open("rb") as fh:
        os.fsync(fh.fileno())
    try:
        os.replace(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        staging = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
        shutil.copy2(src, staging)
        with staging.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(staging, dst)
        fsync_dir(dst.parent)
        src.unlink()
        fsync_dir(src.parent)
        return
    fsync_dir(dst.parent)
    if src.parent != dst.parent:
        fsync_dir(src.parent)
