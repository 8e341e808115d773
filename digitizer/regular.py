"""Reading an input file (a hot folder's, a batch's) without ever blocking on it.

Anybody who can write to a hot folder can put a FIFO, a socket or a device there (``mkfifo
scan.tif``), or swap a checked file for one. Opening a FIFO for reading waits for a writer
forever, in the kernel, where not even SIGTERM gets the watcher out. So every open here is
``O_NONBLOCK`` (which returns at once for a FIFO) followed by ``fstat`` of what was really
opened: only a regular file is read, and what was checked is what is read (no race between
a check by name and an open by name).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class NotRegularFileError(OSError):
    """The path is a FIFO, socket, device or folder: never a scan, never opened for reading."""


def regular_stat(path: Path) -> os.stat_result:
    """``stat`` (following a link) of a regular file, else :class:`NotRegularFileError`."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFileError(f"{path} is not a regular file ({kind_of(st.st_mode)})")
    return st


def kind_of(mode: int) -> str:
    """A word for what a non-regular file is, for the operator's log."""
    kinds = (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a folder"),
    )
    return next((word for test, word in kinds if test(mode)), "not a regular file")


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading, never blocking: a regular file or ``NotRegularFileError``.

    The name is checked first (so a device is not even opened: opening some has effects),
    then what was opened is checked again (the name may have been swapped in between).
    """
    regular_stat(path)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFileError(f"{path} is not a regular file ({kind_of(st.st_mode)})")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


@contextlib.contextmanager
def pinned(path: Path) -> Iterator[Path]:
    """A path to the very file checked as regular, for readers that open by name.

    ``/proc/<pid>/fd/<n>`` reopens the inode this process holds open, whatever the name in
    the hot folder points to meanwhile (and a helper program can open it too, unlike
    ``/proc/self``). Without ``/proc`` the name itself is used.
    """
    with open_regular(path) as fh:
        fd_path = Path(f"/proc/{os.getpid()}/fd/{fh.fileno()}")
        yield fd_path if fd_path.exists() else path
