"""One clerk's pass over the review queue, at the keyboard.

A plain prompt loop rather than a full-screen app: it can print the field's image inline
(kitty, iTerm2, sixel) in the scrollback above the prompt, works over SSH and in a
multiplexer, and reads one line per decision when driven by a script. For each waiting
field the clerk sees the document, the field, the value read, its confidence and the image
of that spot on the signed page, then decides: accept (a / Enter), correct (c, then type
the value), skip (s), back (b), quit (q). Documents are loaded when reached, so what a
clerk sees is the store as it is now, not as it was when the session began.

Where the terminal shows no images, the crop is saved as a PNG under
``$DIGITIZER_HOME/review/<document>/`` and its path printed (and opened with ``xdg-open``,
never waited for, when a display is present). The crops show personal data, so a
document's folder is deleted when the clerk leaves it or quits.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from rich.console import Console
from rich.markup import escape

from digitizer.config import resolve_recorded
from digitizer.review import graphics
from digitizer.review.actions import Outcome, Reviewer
from digitizer.review.crop import field_image
from digitizer.review.keys import ENTER, QUIT, Keyboard
from digitizer.review.queue import (
    NEEDS_REVIEW,
    ReviewDocument,
    ReviewItem,
    load_document,
    queue,
)

log = logging.getLogger(__name__)

AUTO, FILE = "auto", "file"
IMAGE_MODES = (AUTO, FILE, *graphics.PROTOCOLS)
_HELP = (
    r"[bold]\[a/Enter][/] accept  [bold]\[c][/] correct  [bold]\[s][/] skip  "
    r"[bold]\[b][/] back  [bold]\[q][/] quit"
)


@dataclass(slots=True)
class Summary:
    accepted: int = 0
    corrected: int = 0
    refused: int = 0
    skipped: int = 0
    registered: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Slot:
    """One item of the pass, with what the clerk did to it in this session."""

    document: ReviewDocument
    item: ReviewItem
    saved: str | None = None  # the value saved in this session
    image: Image.Image | None = None
    image_error: str | None = None
    rendered: bool = False


class ReviewSession:
    def __init__(
        self,
        reviewer: Reviewer,
        keyboard: Keyboard,
        console: Console,
        home: Path,
        images: str = AUTO,
    ) -> None:
        self.reviewer = reviewer
        self.keyboard = keyboard
        self.console = console
        self.home = home  # the records name their signed PDFs relative to it
        self.crops_dir = home / "review"
        self.protocol: str | None = None
        if images == AUTO:
            self.protocol = graphics.detect(os.environ, keyboard.fd)
        elif images != FILE:
            self.protocol = images
        self.summary = Summary()
        self._cropped: set[str] = set()  # documents whose crops this session saved

    # ----------------------------------------------------------------- the pass

    def run(self, *, unit: str | None = None, doc_type: str | None = None) -> Summary:
        ids = queue(self.reviewer.store, unit=unit, doc_type=doc_type)
        if not ids:
            self.console.print("nothing to review")
            return self.summary
        self.console.print(
            f"{len(ids)} document(s) to review, oldest first; clerk: {escape(self.reviewer.actor)}"
        )
        slots: list[_Slot] = []
        loaded = 0  # documents of ``ids`` already turned into slots
        pos = 0
        try:
            while True:
                while pos >= len(slots) and loaded < len(ids):
                    more = self._slots_of(ids[loaded], loaded, len(ids))
                    if more is None:
                        return self.summary
                    slots += more
                    loaded += 1
                if pos >= len(slots):
                    break
                step = self._decide(slots[pos], slots, pos)
                if step is None:
                    break
                leaving = slots[pos].document.id
                pos = max(0, pos + step)
                if pos >= len(slots) or slots[pos].document.id != leaving:
                    self._forget_crops(leaving)
        finally:
            for document_id in list(self._cropped):
                self._forget_crops(document_id)
        return self.summary

    def _slots_of(self, document_id: str, index: int, total: int) -> list[_Slot] | None:
        """The items of the next document as the store holds it now; None: the clerk quit."""
        with self.reviewer.store.session() as s:
            doc = load_document(s, self.reviewer.schemas, document_id)
        if doc is None or doc.status != NEEDS_REVIEW:
            self.console.print(f"document {document_id} was reviewed meanwhile: skipped")
            return []
        self._header(doc, index, total)
        if not doc.items:
            return None if self._register_empty(doc) == QUIT else []
        return [_Slot(doc, item) for item in doc.items]

    def _header(self, doc: ReviewDocument, index: int, total: int) -> None:
        unit = f" · unit {doc.unit_code}" if doc.unit_code else ""
        self.console.rule(
            f"document {index + 1}/{total} · {doc.id} · {doc.doc_type} · "
            f"{escape(doc.source_name)}{unit} · {doc.created_at:%Y-%m-%d %H:%M}"
        )

    def _register_empty(self, doc: ReviewDocument) -> str:
        """A waiting document with no field left to review (its schema changed since it
        was read): the clerk may register it. Returns the key pressed."""
        self.console.print("  no field left to review")
        key = self.keyboard.key("  [a/Enter] register  [s] skip  [q] quit  > ")
        if key in ("a", ENTER):
            outcome = self.reviewer.register(doc.id)
            self._report(outcome, doc.id)
        return key

    # ----------------------------------------------------------------- one item

    def _decide(self, slot: _Slot, slots: list[_Slot], pos: int) -> int | None:
        """Show one item and act on the clerk's keys; the step to the next item, or None
        to quit."""
        self._show(slot, slots, pos)
        while True:
            key = self.keyboard.key("  > ")
            if key == QUIT:
                return None
            if key == "s":
                self.summary.skipped += 1
                return 1
            if key == "b":
                if pos == 0:
                    self.console.print("  this is the first field")
                    continue
                return -1
            if key in ("a", ENTER):
                if slot.saved is not None:  # decided already in this session
                    return 1
                if self._save(slot, None):
                    return 1
                continue
            if key == "c":
                typed = self.keyboard.line(f"  new value for {slot.item.name}: ")
                if typed is None:
                    return None
                if not typed.strip():
                    self.console.print("  nothing typed: nothing saved")
                    continue
                if self._save(slot, typed):
                    return 1
                continue
            self.console.print(f"  {_HELP}")

    def _save(self, slot: _Slot, typed: str | None) -> bool:
        seen = slot.saved if slot.saved is not None else slot.item.value
        doc_id, name = slot.document.id, slot.item.name
        if typed is None:
            outcome = self.reviewer.accept(doc_id, name, seen)
        else:
            outcome = self.reviewer.correct(doc_id, name, typed, seen)
        if not outcome.saved:
            self.summary.refused += 1
            self._report(outcome, doc_id)
            return False
        slot.saved = outcome.value
        if typed is None:
            self.summary.accepted += 1
        else:
            self.summary.corrected += 1
        self.console.print(f"  [green]saved[/] {name} = {escape(outcome.value or '')}")
        self._lesson(outcome, name)
        self._report(outcome, doc_id)
        return True

    def _lesson(self, outcome: Outcome, name: str) -> None:
        """What the correction taught: a label learned for the next documents, or why not."""
        lesson = outcome.lesson
        if lesson is None:
            return
        if lesson.label is not None:
            self.console.print(
                f"  [green]learned[/] '{escape(lesson.label)}' as a label of {name} "
                f"(#{lesson.label_id}; 'digitizer schemas forget {lesson.label_id}' undoes it)"
            )
        for reason in lesson.reasons:
            self.console.print(f"  [dim]no label learned: {escape(reason)}[/]")

    def _report(self, outcome: Outcome, doc_id: str) -> None:
        for problem in outcome.problems:
            self.console.print(f"  [red]refused:[/] {escape(problem)}; nothing saved")
        if outcome.registered:
            self.summary.registered.append(doc_id)
            self.console.print(f"  [green]document {doc_id} is registered[/]")

    def _show(self, slot: _Slot, slots: list[_Slot], pos: int) -> None:
        doc, item = slot.document, slot.item
        of_doc = [s for s in slots if s.document.id == doc.id]
        number = of_doc.index(slot) + 1
        kind = f"{item.spec.type}" if item.spec is not None else "not in the schema"
        state = "not read (required)" if item.missing else "uncertain"
        self.console.print(
            f"\n  field {number}/{len(of_doc)} of {doc.id}: [bold]{item.name}[/] ({kind}), {state}"
        )
        if item.missing:
            self.console.print("  OCR value: [dim](none)[/]  type it with c")
        else:
            conf = f"{item.confidence:.2f}" if item.confidence is not None else "?"
            page = f"page {item.page_no + 1}" if item.page_no is not None else "page ?"
            self.console.print(
                f"  OCR value: [bold]{escape(item.value or '')}[/]   confidence {conf}   {page}"
            )
        if slot.saved is not None:
            self.console.print(f"  saved in this session: {escape(slot.saved)}")
        self._image(slot)
        self.console.print(f"  {_HELP}")

    # ----------------------------------------------------------------- the image

    def _image(self, slot: _Slot) -> None:
        if not slot.rendered:
            slot.rendered = True
            try:
                slot.image = field_image(
                    resolve_recorded(self.home, slot.document.output_path),
                    slot.document.pages,
                    slot.item.page_no,
                    slot.item.box,
                )
                if slot.image is None:
                    slot.image_error = "the signed PDF is not in the archive"
            except OSError as exc:
                slot.image_error = str(exc)
        if slot.image is None:
            self.console.print(f"  [yellow]no image:[/] {escape(slot.image_error or '')}")
            return
        if slot.item.missing:
            whole = resolve_recorded(self.home, slot.document.output_path)
            self.console.print(f"  whole document: {escape(str(whole))}")
        if self.protocol is not None:
            graphics.show(slot.image, self.protocol, self.console.file, self.console.width)
            return
        path = self.crops_dir / slot.document.id / f"{slot.item.name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._cropped.add(slot.document.id)
        slot.image.save(path)
        self.console.print(f"  image: {escape(str(path))}", soft_wrap=True)
        _open_in_viewer(path)

    def _forget_crops(self, document_id: str) -> None:
        """Delete the crops saved of a document the clerk leaves: they show personal data."""
        if document_id in self._cropped:
            self._cropped.discard(document_id)
            shutil.rmtree(self.crops_dir / document_id, ignore_errors=True)


def _open_in_viewer(path: Path) -> None:
    """Open a crop in the desktop's viewer when there is a desktop; never wait for it."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return
    opener = shutil.which("xdg-open")
    if opener is None:
        return
    try:
        subprocess.Popen(
            [opener, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        log.info("cannot open the image viewer: %s", exc)
