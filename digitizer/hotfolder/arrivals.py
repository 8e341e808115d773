"""When is a file in the hot folder complete?

Scanners write slowly (a 40-page TIFF over a network share takes many seconds), pause in the
middle, and write temporary names first. A file is taken only when both hold:

* its size and modification time stayed put for the profile's settle time; and
* it opens as a whole: a PDF ends with its ``%%EOF`` trailer, a JPEG with its end marker, a
  PNG with ``IEND``, and every page of a TIFF decodes.

A file that stays put but never becomes whole is handed on anyway after a long wait
(``_GIVE_UP_FACTOR`` settle times, at least a minute): the pipeline then rejects it with its
reason and it goes to ``failed/``, instead of waiting forever unseen.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from digitizer.runner import SCAN_SUFFIXES

log = logging.getLogger(__name__)

_GIVE_UP_FACTOR = 20
_MIN_GIVE_UP_SECONDS = 60.0
_TAIL_BYTES = 2048


def is_ignored(name: str) -> bool:
    """Names scanners and editors write while working: hidden, ``~*``, ``*.tmp``, ``*.part``."""
    lower = name.lower()
    return (
        name.startswith((".", "~"))
        or lower.endswith((".tmp", ".part", ".partial", ".crdownload", ".filepart", ".error.txt"))
        or Path(lower).suffix not in SCAN_SUFFIXES
    )


def is_whole(path: Path) -> bool:
    """True when the file's format says it is complete (see the module docstring)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            return b"%%EOF" in _tail(path)
        if suffix in (".jpg", ".jpeg"):
            return b"\xff\xd9" in _tail(path)[-64:]
        if suffix == ".png":
            return b"IEND" in _tail(path)[-32:]
        with Image.open(path) as img:  # TIFF: every page must decode
            for index in range(getattr(img, "n_frames", 1)):
                img.seek(index)
                img.load()
        return True
    except Exception:  # a half-written TIFF fails in many ways (TypeError too)
        return False


def _tail(path: Path) -> bytes:
    with path.open("rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - _TAIL_BYTES))
        return fh.read()


@dataclass(slots=True)
class _Seen:
    size: int
    mtime_ns: int
    stable_since: float
    checked_whole_at: float = -1.0


class SettleTracker:
    """Files seen in the hot folder, and which of them have become complete."""

    def __init__(self, settle_seconds: float) -> None:
        self.settle = settle_seconds
        self._seen: dict[Path, _Seen] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def observe(self, path: Path, now: float) -> None:
        """A file event or a folder scan saw ``path``; (re)start its clock if it changed."""
        try:
            st = path.stat()
        except OSError:
            self._seen.pop(path, None)  # gone (renamed by the scanner, or taken away)
            return
        seen = self._seen.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (st.st_size, st.st_mtime_ns):
            self._seen[path] = _Seen(st.st_size, st.st_mtime_ns, now)

    def busy_in(self, folder: Path) -> bool:
        """Is a file of ``folder`` still being written (seen, not yet complete)?"""
        return any(path.parent == folder for path in self._seen)

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def ready(self, now: float) -> list[Path]:
        """Files complete by now, oldest first; they are no longer tracked."""
        out: list[Path] = []
        for path, seen in sorted(self._seen.items(), key=lambda kv: kv[1].stable_since):
            self.observe(path, now)  # a last look: did it change since the event?
            current = self._seen.get(path)
            if current is None or current.stable_since != seen.stable_since:
                continue
            if now - seen.stable_since < self.settle:
                continue
            if seen.checked_whole_at >= seen.stable_since and now - seen.checked_whole_at < 1:
                continue  # checked a moment ago: decoding a big TIFF again is not free
            seen.checked_whole_at = now
            give_up = max(_MIN_GIVE_UP_SECONDS, _GIVE_UP_FACTOR * self.settle)
            if is_whole(path):
                out.append(path)
            elif now - seen.stable_since >= give_up:
                log.warning("%s stayed incomplete for %.0f s; passing it on", path, give_up)
                out.append(path)
        for path in out:
            self._seen.pop(path, None)
        return out
