"""Stacks of one-file-per-page scans, cut into documents.

Many office scanners write each page as its own file (``scan0001.jpg``, ``scan0002.jpg``,
...). The operator feeds a whole stack at once; what separates the documents in it is:

* a **separator sheet**: a page carrying a barcode or QR whose value matches the profile's
  ``separator_codes`` (Patch-T sheets, the office's printed "TÁCH" sheets). The sheet ends
  one document and is left out of both;
* a **dossier receipt** (phiếu tiếp nhận): its QR is a dossier code (DOMAIN.md). It is a
  document of its own, and every document behind it, up to the next receipt, belongs to
  that dossier;
* otherwise, time: the stack is complete when no page has arrived for ``window_seconds``,
  and a stack without separators is one document.

Pages are taken in file-name order: scanners number their files, and arrival order across a
network share is not reliable.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from digitizer.barcodes import decode_codes
from digitizer.errors import InputFileError
from digitizer.ingest import IngestLimits, iter_pages
from digitizer.profiles import StackSettings
from digitizer.regular import pinned

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Cut:
    """One document of a stack: its pages, the separator sheet that ended it, its dossier."""

    pages: list[Path] = field(default_factory=list)
    separators: list[Path] = field(default_factory=list)
    dossier_code: str | None = None


def page_codes(path: Path, limits: IngestLimits) -> list[str]:
    """The barcode and QR values on every page of one file ([] if it can't be read: the
    page then goes on as an ordinary page and the pipeline reports what is wrong with it).

    Read in the watcher's own process, so within the pipeline's limits only (each page is
    checked from its header before it is decoded), and from the very file that was checked
    to be a regular one (a name swapped for a FIFO meanwhile must not block the watcher).
    """
    try:
        with pinned(path) as stable:
            return [
                c.value
                for page in iter_pages(stable, limits)
                for c in decode_codes(page.image, page.dpi)
            ]
    except (InputFileError, OSError) as exc:
        log.info("%s: no codes read (%s)", path.name, exc)
        return []


def cut_stack(
    pages: Sequence[Path],
    codes_of: Callable[[Path], list[str]],
    settings: StackSettings,
    receipt_code: re.Pattern[str] | None,
) -> list[Cut]:
    """Cut an ordered stack into documents (see the module docstring)."""
    cuts: list[Cut] = []
    current = Cut()
    dossier: str | None = None

    def close() -> None:
        nonlocal current
        if current.pages:
            cuts.append(current)
        elif current.separators and cuts:  # separators back to back: file them with the last
            cuts[-1].separators.extend(current.separators)
        elif current.separators:
            cuts.append(current)  # a stack of nothing but separator sheets
        current = Cut(dossier_code=dossier)

    for page in pages:
        codes = [c.strip() for c in codes_of(page)]
        if any(p.fullmatch(c) for c in codes for p in settings.separator_codes):
            current.separators.append(page)
            close()
            continue
        receipt = _dossier_code(codes, receipt_code) if settings.receipt_starts_dossier else None
        if receipt is not None:
            close()
            dossier = receipt
            cuts.append(Cut(pages=[page], dossier_code=receipt))
            current = Cut(dossier_code=dossier)
            continue
        current.pages.append(page)
    close()
    return cuts


def _dossier_code(codes: list[str], pattern: re.Pattern[str] | None) -> str | None:
    if pattern is None:
        return None
    return next((c.upper() for c in codes if pattern.fullmatch(c.upper())), None)


class StackAssembler:
    """Complete page files waiting, per folder, for their stack to be complete."""

    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self._waiting: dict[Path, dict[Path, float]] = {}

    def __len__(self) -> int:
        return sum(len(v) for v in self._waiting.values())

    def add(self, page: Path, now: float) -> None:
        self._waiting.setdefault(page.parent, {})[page] = now

    def due(self, now: float, still_arriving: Callable[[Path], bool]) -> list[list[Path]]:
        """Stacks complete by now, each in file-name order.

        A folder's stack is complete when its last page arrived ``window`` seconds ago and no
        file in that folder is still being written (``still_arriving(folder)``).
        """
        out: list[list[Path]] = []
        for folder, pages in list(self._waiting.items()):
            if now - max(pages.values()) < self.window or still_arriving(folder):
                continue
            out.append(sorted(pages, key=lambda p: _natural_key(p.name)))
            del self._waiting[folder]
        return out


def _natural_key(name: str) -> list[object]:
    """``scan2`` before ``scan10``: numbers compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]
