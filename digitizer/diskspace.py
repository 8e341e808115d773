"""Free space in the home, checked before each file so that a full disk stops a run cleanly.

A full disk is discovered at the worst moment otherwise: half a signed PDF written, or the
store refusing the record of a PDF already in the archive, or the journal refusing to note a
failure. Checking the profile's minimum before each file stops the run while everything
still fits; the writes that fail anyway (another program filled the disk meanwhile) are
recognised by their errno and stop the run the same way.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from digitizer.errors import DiskFullError

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def free_mb(path: Path) -> float:
    return shutil.disk_usage(path).free / 1_048_576


def ensure_free(home: Path, min_mb: int) -> None:
    """Raise :class:`DiskFullError` when ``home`` has less than ``min_mb`` MB free."""
    if min_mb <= 0:
        return
    try:
        free = free_mb(home)
    except OSError:
        return  # the home itself is gone: its own error says so at the first write
    if free < min_mb:
        raise DiskFullError(
            f"only {free:.0f} MB free on the disk of {home} (at least {min_mb} MB asked by the "
            "profile's min_free_mb): free some space, then run again; unfinished files were "
            "left where they are"
        )


def is_disk_full(exc: BaseException) -> bool:
    """True for a write refused for want of space (or quota), whatever raised it."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def disk_full(home: Path, exc: BaseException | None = None) -> DiskFullError:
    """The error that stops a run whose write ``exc`` failed for want of space."""
    detail = f" ({os.strerror(errno.ENOSPC)})" if exc is not None else ""
    return DiskFullError(
        f"the disk of {home} is full{detail}: free some space, then run again; unfinished "
        "files were left where they are"
    )
