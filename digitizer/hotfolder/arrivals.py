"""When is a file in the hot folder complete?

Scanners write slowly (a 40-page TIFF over a network share takes many seconds), pause in the
middle, and write temporary names first. A file is taken only when both hold:

* its size and modification time stayed put for the profile's settle time; and
* it is whole by its format: a PDF ends with its ``%%EOF`` trailer, a JPEG with its end
  marker, a PNG with ``IEND``, and every page of a TIFF has its directory and its image
  data (strips or tiles) inside the file.

Only regular files are candidates: a FIFO or a device is never opened for reading (see
:mod:`digitizer.regular`).

Nothing here decodes pixels beyond the pipeline's own limits (the profile's
:meth:`~digitizer.profiles.ScannerProfile.ingest_limits`): the watcher's process must stay
small whatever lands in the folder. The image headers are screened first, as the pipeline
screens them; a file over the limits is handed on at once (``OVER_LIMITS``), and the run
fails it with its one-line reason. A TIFF within the limits is checked from its structure,
and decoded only when its directory does not say where its data lies.

A file that stays put but never becomes whole is handed on anyway after a long wait
(``_GIVE_UP_FACTOR`` settle times, at least a minute): the pipeline then rejects it with its
reason and it goes to ``failed/``, instead of waiting forever unseen.
"""

from __future__ import annotations

import enum
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from PIL import Image, TiffImagePlugin

from digitizer.errors import InputFileError, OversizedInputError
from digitizer.ingest import IngestLimits, check_page_pixels
from digitizer.regular import NotRegularFileError, open_regular, regular_stat
from digitizer.runner import SCAN_SUFFIXES

log = logging.getLogger(__name__)

_GIVE_UP_FACTOR = 20
_MIN_GIVE_UP_SECONDS = 60.0
_TAIL_BYTES = 2048
_IMAGE_SUFFIXES = (".tif", ".tiff", ".jpg", ".jpeg", ".png")


class Arrival(enum.Enum):
    """What a look at a settled file found."""

    PARTIAL = "still incomplete"
    WHOLE = "whole"
    OVER_LIMITS = "over the pipeline's limits"  # refused from its header: hand it on now
    NOT_REGULAR = "not a regular file"


class Ready(NamedTuple):
    path: Path
    arrival: Arrival  # WHOLE or OVER_LIMITS, or PARTIAL when given up on


def is_ignored(name: str) -> bool:
    """Names scanners and editors write while working: hidden, ``~*``, ``*.tmp``, ``*.part``."""
    lower = name.lower()
    return (
        name.startswith((".", "~"))
        or lower.endswith((".tmp", ".part", ".partial", ".crdownload", ".filepart", ".error.txt"))
        or Path(lower).suffix not in SCAN_SUFFIXES
    )


def examine(path: Path, limits: IngestLimits) -> Arrival:
    """Is ``path`` whole, over the limits, still partial, or no regular file at all?"""
    try:
        with open_regular(path) as fh:
            return _examine_open(fh, path.suffix.lower(), limits)
    except NotRegularFileError:
        return Arrival.NOT_REGULAR
    except OSError:
        return Arrival.PARTIAL  # gone or unreadable for now: looked at again later


def is_whole(path: Path, limits: IngestLimits | None = None) -> bool:
    """True when the file's format says it is complete (see the module docstring)."""
    return examine(path, limits or IngestLimits()) is Arrival.WHOLE


def _examine_open(fh: BinaryIO, suffix: str, limits: IngestLimits) -> Arrival:
    if suffix == ".pdf":
        return _whole_if(b"%%EOF" in _tail(fh))
    if suffix not in _IMAGE_SUFFIXES:
        return Arrival.WHOLE  # not a scan by name: the pipeline says why
    header = _screen_header(fh, limits)
    if header is not Arrival.WHOLE:
        return header
    if suffix in (".jpg", ".jpeg"):
        return _whole_if(b"\xff\xd9" in _tail(fh)[-64:])
    if suffix == ".png":
        return _whole_if(b"IEND" in _tail(fh)[-32:])
    return _tiff_whole(fh, limits)


def _whole_if(condition: bool) -> Arrival:
    return Arrival.WHOLE if condition else Arrival.PARTIAL


def _tail(fh: BinaryIO) -> bytes:
    size = fh.seek(0, os.SEEK_END)
    fh.seek(max(0, size - _TAIL_BYTES))
    return fh.read()


def _screen_header(fh: BinaryIO, limits: IngestLimits) -> Arrival:
    """The pipeline's own header checks (page count, pixels per page), nothing decoded.

    Every page's size is read from its header, as the pipeline does before decoding; the
    walk stops one page past the limit, so a file of a million pages costs nothing either.
    """
    try:
        fh.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd headers: the answer says it all
            with Image.open(fh) as img:
                return _pages_within(img, limits)
    except Image.DecompressionBombError:
        return Arrival.OVER_LIMITS
    except Exception:  # a half-written header fails in many ways (TypeError too)
        return Arrival.PARTIAL


def _pages_within(img: Image.Image, limits: IngestLimits) -> Arrival:
    for index in range(limits.max_pages + 1):
        try:
            img.seek(index)
        except EOFError:
            return Arrival.WHOLE
        try:
            check_page_pixels(img.width, img.height, limits, index)
        except OversizedInputError:
            return Arrival.OVER_LIMITS
        except InputFileError:
            return Arrival.WHOLE  # no pixels: the run refuses it with its reason
    return Arrival.OVER_LIMITS  # more pages than the limit


def _tiff_whole(fh: BinaryIO, limits: IngestLimits) -> Arrival:
    """Every page's directory reads cleanly and its strips or tiles lie inside the file."""
    size = fh.seek(0, os.SEEK_END)
    try:
        fh.seek(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with Image.open(fh) as img:
                inside = _all_pages_inside(img, size, limits)
    except Exception:  # a half-written TIFF fails in many ways (TypeError too)
        return Arrival.PARTIAL
    cut_off = any(_cut_off(w) for w in caught)
    return Arrival.WHOLE if inside and not cut_off else Arrival.PARTIAL


def _cut_off(warning: warnings.WarningMessage) -> bool:
    """Pillow warns, and goes on, when a page's directory runs past the end of the file
    ("Truncated File Read", "Tag data larger than file"...); odd but whole metadata and the
    bomb warning (the screen before has judged the size) say nothing about that."""
    if issubclass(warning.category, Image.DecompressionBombWarning):
        return False
    return not str(warning.message).startswith("Metadata Warning")


def _all_pages_inside(img: Image.Image, size: int, limits: IngestLimits) -> bool:
    for index in range(limits.max_pages):
        try:
            img.seek(index)
        except EOFError:
            break
        if not _page_data_inside(img, size):
            return False
    return True


def _page_data_inside(img: Image.Image, size: int) -> bool:
    """The current page's strips (or tiles) end inside the file; decoded (within the limits,
    checked before) only when its directory does not say where they are."""
    tags = getattr(img, "tag_v2", None)
    offsets = _ints(tags, TiffImagePlugin.STRIPOFFSETS, TiffImagePlugin.TILEOFFSETS)
    counts = _ints(tags, TiffImagePlugin.STRIPBYTECOUNTS, 325)  # 325: TileByteCounts
    if offsets and counts and len(offsets) == len(counts):
        spans = zip(offsets, counts, strict=True)
        return all(o >= 0 and c >= 0 and o + c <= size for o, c in spans)
    img.load()
    return True


def _ints(tags: object, *keys: int) -> tuple[int, ...]:
    if not isinstance(tags, TiffImagePlugin.ImageFileDirectory_v2):
        return ()
    for key in keys:
        value = tags.get(key)
        if value is not None:
            return tuple(int(v) for v in value) if isinstance(value, tuple) else (int(value),)
    return ()


@dataclass(slots=True)
class _Seen:
    size: int
    mtime_ns: int
    stable_since: float
    checked_whole_at: float = -1.0


class SettleTracker:
    """Files seen in the hot folder, and which of them have become complete."""

    def __init__(self, settle_seconds: float, limits: IngestLimits | None = None) -> None:
        self.settle = settle_seconds
        self.limits = limits or IngestLimits()
        self._seen: dict[Path, _Seen] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def observe(self, path: Path, now: float) -> None:
        """A file event or a folder scan saw ``path``; (re)start its clock if it changed.
        Only a regular file is followed (a FIFO never settles into a scan)."""
        try:
            st = regular_stat(path)
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
        return [item.path for item in self.take(now)]

    def take(self, now: float) -> list[Ready]:
        """Files complete (or over the limits) by now, oldest first, with what was found."""
        out: list[Ready] = []
        for path, seen in sorted(self._seen.items(), key=lambda kv: kv[1].stable_since):
            arrival = self._look(path, seen, now)
            if arrival is not None:
                out.append(Ready(path, arrival))
        for item in out:
            self._seen.pop(item.path, None)
        return out

    def _look(self, path: Path, seen: _Seen, now: float) -> Arrival | None:
        """What ``path`` is, if it is to be handed on now (None: keep waiting)."""
        self.observe(path, now)  # a last look: did it change since the event?
        current = self._seen.get(path)
        if current is None or current.stable_since != seen.stable_since:
            return None
        if now - seen.stable_since < self.settle:
            return None
        if seen.checked_whole_at >= seen.stable_since and now - seen.checked_whole_at < 1:
            return None  # checked a moment ago: reading a big file's structure is not free
        seen.checked_whole_at = now
        arrival = examine(path, self.limits)
        if arrival is Arrival.NOT_REGULAR:
            self._seen.pop(path, None)  # swapped for a FIFO or a device: never a scan
            return None
        if arrival is not Arrival.PARTIAL:
            return arrival
        give_up = max(_MIN_GIVE_UP_SECONDS, _GIVE_UP_FACTOR * self.settle)
        if now - seen.stable_since < give_up:
            return None
        log.warning("%s stayed incomplete for %.0f s; passing it on", path, give_up)
        return arrival
