"""Pages of one-file-per-page scanners, gathered into stacks and cut into documents.

Such scanners write each sheet as its own file. Complete pages wait on the desk until their
stack is complete (no new page for the profile's window), then the stack is cut at separator
sheets and dossier receipts (:func:`digitizer.hotfolder.stacks.cut_stack`) and each document
becomes a manifest in the work folder, which the run takes as one file. The pages are hashed
first, through the very file that was checked as regular (a page swapped meanwhile for a
FIFO or removed is left out of its stack, never blocked on).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from digitizer.digest import sha256_of
from digitizer.hotfolder.arrivals import Arrival, Ready
from digitizer.hotfolder.originals import shorten
from digitizer.hotfolder.stacks import Cut, StackAssembler, cut_stack, page_codes
from digitizer.profiles import ScannerProfile
from digitizer.stackfile import StackManifest, StackPage
from digitizer.stages import WorkerSettings, stacks_folder

log = logging.getLogger(__name__)

_STEM_BYTES = 150  # of a page's name in its stack's manifest name (255 at most in all)


def short_stem(page: Path) -> str:
    """A page's stem for its stack's manifest name: a long one is cut (and told apart from
    others cut alike by a hash of the whole), so ``<stem>+N.stack`` and its temporary name
    fit in any file system's limit."""
    stem = shorten(page.stem, _STEM_BYTES)
    if stem == page.stem:
        return stem
    return f"{stem}~{hashlib.sha256(os.fsencode(page.stem)).hexdigest()[:8]}"


class StackDesk:
    """The pages waiting for their stack, and the manifests of the documents cut from them."""

    def __init__(
        self,
        profile: ScannerProfile,
        settings: WorkerSettings,
        still_arriving: Callable[[Path], bool],
    ) -> None:
        self.profile = profile
        self.limits = profile.ingest_limits()
        self.assembler = StackAssembler(profile.stacks.window_seconds)
        self.still_arriving = still_arriving
        self.folder = stacks_folder(settings.work_dir)
        self.manifests: dict[Path, StackManifest] = {}
        receipt = settings.schemas.get("dossier_receipt") if settings.schemas else None
        self.receipt_code = (
            next((f.pattern for f in receipt.fields if f.name == "dossier_code"), None)
            if receipt is not None
            else None
        )

    def take(self, found: list[Ready], now: float) -> tuple[list[Path], list[Path], list[Path]]:
        """Put complete pages on the desk; return what the run takes now (files over the
        limits, on their own: the run refuses them with their reason; and the manifests of
        stacks cut now), the separator sheets that make no document (to be filed), and the
        pages left out (gone or no longer regular)."""
        alone = [item.path for item in found if item.arrival is Arrival.OVER_LIMITS]
        for item in found:
            if item.arrival is not Arrival.OVER_LIMITS:
                self.assembler.add(item.path, now)
        manifests, sheets, left_out = self._cut_due(now)
        return alone + manifests, sheets, left_out

    def _cut_due(self, now: float) -> tuple[list[Path], list[Path], list[Path]]:
        """Cut every complete stack into documents; one manifest per document."""
        manifests: list[Path] = []
        sheets: list[Path] = []
        left_out: list[Path] = []
        for due in self.assembler.due(now, self.still_arriving):
            hashes = _page_hashes(due)
            left_out.extend(page for page in due if page not in hashes)
            stack = [page for page in due if page in hashes]
            if not stack:
                continue
            started = time.perf_counter()
            cuts = cut_stack(
                stack,
                lambda p: page_codes(p, self.limits),
                self.profile.stacks,
                self.receipt_code,
            )
            log.info(
                "stack of %d page file(s) in %s: %d document(s) (%.1f s to read the codes)",
                len(stack),
                stack[0].parent,
                sum(1 for c in cuts if c.pages),
                time.perf_counter() - started,
            )
            for cut in cuts:
                if cut.pages:
                    manifests.append(self._write(cut, hashes))
                else:  # only separator sheets: nothing to process
                    sheets.extend(cut.separators)
        return manifests, sheets, left_out

    def _write(self, cut: Cut, hashes: dict[Path, str]) -> Path:
        """The manifest of one document (named after its first page)."""
        manifest = StackManifest(
            tuple(StackPage(page, hashes[page]) for page in cut.pages),
            tuple(cut.separators),
            cut.dossier_code,
        )
        first, count = short_stem(cut.pages[0]), len(cut.pages)
        name = f"{first}+{count - 1}" if count > 1 else first
        path = manifest.write(self.folder, name)
        self.manifests[path] = manifest
        return path


def _page_hashes(stack: list[Path]) -> dict[Path, str]:
    """Each page's SHA-256, read without blocking; a page gone or swapped for something
    that is no regular file since it was complete is left out of its stack."""
    hashes: dict[Path, str] = {}
    for page in stack:
        try:
            hashes[page] = sha256_of(page)
        except OSError as exc:
            log.warning("%s left out of its stack: %s", page, exc.strerror or exc)
    return hashes
