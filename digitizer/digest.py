"""Content hashes: a scan, a signed PDF and a stack of pages are known by their SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path

from digitizer.regular import open_regular

DOCUMENT_ID_HEX_DIGITS = 16  # a document id is the start of its scan's SHA-256
_LOWER_HEX = frozenset("0123456789abcdef")


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in 1 MiB blocks (memory stays flat on big scans). Only a
    regular file is read, and never with a blocking open (a FIFO put in its place raises
    :class:`digitizer.regular.NotRegularFileError`, an ``OSError``)."""
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def is_sha256_hex(text: object) -> bool:
    """Whether ``text`` is a SHA-256 as the product writes it (64 lowercase hex digits).
    Hashes name lock files and archive folders: anything else (``../``, capitals that a
    case-insensitive file system would merge) never reaches a path."""
    return _lower_hex(text, 64)


def is_document_id(text: object) -> bool:
    """Whether ``text`` has the form of a document id (16 lowercase hex digits)."""
    return _lower_hex(text, DOCUMENT_ID_HEX_DIGITS)


def _lower_hex(text: object, digits: int) -> bool:
    return isinstance(text, str) and len(text) == digits and _LOWER_HEX.issuperset(text)
