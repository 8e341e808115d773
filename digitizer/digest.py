"""Content hashes: a scan, a signed PDF and a stack of pages are known by their SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path

from digitizer.regular import open_regular


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in 1 MiB blocks (memory stays flat on big scans). Only a
    regular file is read, and never with a blocking open (a FIFO put in its place raises
    :class:`digitizer.regular.NotRegularFileError`, an ``OSError``)."""
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
