"""Making a rename survive a power cut: the folder that holds the new name is synced too.

A file renamed into place is durable only once its directory entry is on disk; every
writer of results (the signed PDF, an unsigned fallback) calls this after its rename.
"""

from __future__ import annotations

import os
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
