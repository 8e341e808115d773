"""Read a value handwritten into a printed blank: the document number and the date's day.

Why this exists: on paper, administrative documents get their number ("Số: 87 /QĐ-UBND") and
the day (sometimes the month) of "Quảng Ngãi, ngày 05 tháng 02 năm 2025" written by hand at
registration. Tesseract reads such strokes as "ốT" or "Qÿ_"; a wrong number or date filed
silently is worse than none. The product's rule, which :func:`read_blank` implements:

    a handwritten value is accepted automatically only when two independent readings (two
    different recognizers) give the same value and it passes the field's checks; otherwise
    it goes to a clerk with its crop (``BlankReading.crop_box``).

Pure functions over the page image (numpy, RGB or grey) and the box of the printed line
(the OCR words of the "Số:" line or of the "…, ngày … tháng … năm …" line; Tesseract often
gives both columns as one line, which is handled). Nothing here touches the pipeline.

How the blank is found: Tesseract's symbol boxes inside the line locate the printed anchors
("Số:" and the "/" of the symbol; "ngày" and "tháng"; "tháng" and "năm"), which it reads
reliably even where it garbles the handwriting between them. The value crop is the ink
between the anchors. On the 14 real pages' 28 handwritten values, asterocr restricted to digits
read 28, Tesseract (eng, digits) 16 and 4 wrong; they agreed on 16, never on a wrong value, and
the other 12 go to a clerk (``benchmarks/bench_handwriting.py``).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from digitizer import blank_location
from digitizer import line_reader as lr
from digitizer.blank_location import ANCHOR_AFTER, ANCHOR_BEFORE, Blank, Box, FieldKind
from digitizer.errors import MissingDependencyError
from digitizer.line_reader import ink_mask, sub

log = logging.getLogger(__name__)


#: Printed anchors around each blank, matched on Tesseract's lower-cased words.
_RANGE = {"number": (1, 99999), "day": (1, 31), "month": (1, 12), "year": (1900, 2100)}
_DIGITS = {"number": 5, "day": 2, "month": 2, "year": 4}
#: Stroke-width ratio (value / print) of print in the same font; measured on the real scans:
#: handwritten 1.22-2.4, printed 0.99-1.14 (``benchmarks/bench_handwriting.py``).
_PRINTED_STROKE = (0.8, 1.2)
_COLOUR_SHIFT = 25.0
_EDGE = " .,:;-_'\"`‘’“”"  # never "|", "/", "]": they may be a 1


@dataclass(frozen=True, slots=True)
class ValueReading:
    """One recognizer's reading of the blank: raw ``text`` and the checked ``value``.

    ``value`` is ``None`` when the text is not a plausible value of the field (not only
    digits, too many digits, out of range): such a reading can never be accepted.
    """

    recognizer: str
    text: str
    confidence: float | None
    value: str | None


@dataclass(frozen=True, slots=True)
class InkMeasure:
    """Whether the value's ink looks handwritten, and what was measured to say so.

    ``stroke_ratio``: stroke width (2 x area / perimeter of the ink) of the value over that
    of the printed anchors; felt and ball pens write thicker or thinner than 12-14 pt print.
    ``colour_shift``: blueness (B - (R+G)/2, 0-255) of the value's ink minus the print's, on
    colour scans only; blue ink over black print gives tens, a plain scan about 0.
    """

    handwritten: bool
    stroke_ratio: float | None
    colour_shift: float | None
    note: str


@dataclass(frozen=True, slots=True)
class BlankReading:
    """The outcome for one blank. ``agreed`` is the only licence to use ``value`` unchecked."""

    field: FieldKind
    readings: tuple[ValueReading, ...]
    ink: InkMeasure
    crop_box: Box
    agreed: bool
    value: str | None
    reason: str

    @property
    def handwritten(self) -> bool:
        return self.ink.handwritten


DIGITS = "0123456789"
_aster = lr.AsterLineReader()
#: Tesseract for the anchors (Vietnamese) and as the second reader (digits; ``eng`` read
#: handwritten digits better than ``vie`` restricted to digits: 16/28 against 4/28).
_anchor_reader = lr.TesseractLineReader("vie")
_digit_reader = lr.TesseractLineReader("eng", digits=True)


def line_symbols(line: NDArray[np.uint8]) -> list[list[tuple[str, Box]]]:
    """Tesseract's words of a one-line crop, each a list of (symbol text, box)."""
    import tesserocr
    from PIL import Image

    words: list[list[tuple[str, Box]]] = []
    with _anchor_reader.lock:
        api = _anchor_reader.api()
        api.SetPageSegMode(tesserocr.PSM.SINGLE_LINE)
        api.SetImage(Image.fromarray(line))
        api.SetSourceResolution(300)
        if api.Recognize() is False:
            return []
        it = api.GetIterator()
        level = tesserocr.RIL.SYMBOL
        if it is not None and not it.Empty(level):
            while True:
                text = unicodedata.normalize("NFC", it.GetUTF8Text(level) or "").lower()
                box = it.BoundingBox(level)
                if box is not None and text:
                    if it.IsAtBeginningOf(tesserocr.RIL.WORD) or not words:
                        words.append([])
                    x0, y0, x1, y1 = box
                    words[-1].append((text, (x0, y0, x1 - x0, y1 - y0)))
                if not it.Next(level):
                    break
        api.Clear()
    return words


def locate_blank(
    line: NDArray[np.uint8],
    field: FieldKind,
    core: tuple[int, int],
    words: list[list[tuple[str, Box]]] | None = None,
) -> Blank:
    """:func:`digitizer.blank_location.locate_blank`, reading the line's symbols if needed."""
    return blank_location.locate_blank(
        line, field, core, line_symbols(line) if words is None else words
    )


def parse_value(text: str, field: FieldKind, *, context: bool = False) -> str | None:
    """The field's value in a recognizer's ``text``, or ``None`` if it fails the checks.

    ``context=True``: the text holds the anchors too ("Số: 87 /QĐ-UBND", "ngày 05 tháng")
    and the value is what stands between them. No letter is turned into a digit ("O" is
    not read as "0"): such guesses would let two wrong readings agree.
    """
    text = unicodedata.normalize("NFC", text).lower()
    if context:
        match = re.search(f"(?:{ANCHOR_BEFORE[field]})(.*?)(?:{ANCHOR_AFTER[field]})", text)
        if match is None:
            return None
        text = match.group(1)
    symbol = re.fullmatch(r"\s*(\d+)\s*/\s*[^\W\d_].*", text) if field == "number" else None
    if symbol is not None:  # "87/QĐ-UBND": the digits before the printed symbol
        text = symbol.group(1)
    value = "".join(text.strip(_EDGE).split())
    if not value.isascii() or not value.isdigit() or len(value) > _DIGITS[field]:
        return None
    low, high = _RANGE[field]
    if not low <= int(value) <= high:
        return None
    return value.zfill(2) if field != "number" else value


def measure_ink(line: NDArray[np.uint8], blank: Blank, colour: bool) -> InkMeasure:
    """Compare the value's ink with the printed anchors' ink (stroke, height, colour)."""
    ink = ink_mask(line)
    value = _region(ink, blank.value)
    printed = np.zeros_like(ink)
    for box in blank.anchors:
        printed |= _region(ink, box)
    printed[:, blank.value[0] : blank.value[0] + blank.value[2]] = False
    if value.sum() < 20 or printed.sum() < 20:
        return InkMeasure(False, None, None, "too little ink to compare with the print")
    stroke = _stroke(value) / max(_stroke(printed), 1e-6)
    shift = None
    if colour:
        blue = line[..., 2].astype(np.float64) - line[..., :2].astype(np.float64).mean(axis=2)
        shift = float(blue[value].mean() - blue[printed].mean())
    reasons = []
    if shift is not None and abs(shift) > _COLOUR_SHIFT:
        reasons.append(f"ink colour differs from the print by {shift:.0f}")
    if not _PRINTED_STROKE[0] <= stroke <= _PRINTED_STROKE[1]:
        reasons.append(f"stroke width {stroke:.2f}x the print's")
    note = "; ".join(reasons) or f"stroke width {stroke:.2f}x the print's: looks printed"
    return InkMeasure(
        bool(reasons), round(stroke, 3), None if shift is None else round(shift, 1), note
    )


def _region(ink: NDArray[np.bool_], box: Box) -> NDArray[np.bool_]:
    out = np.zeros_like(ink)
    sub(out, box)[:] = sub(ink, box)
    return out


def _stroke(mask: NDArray[np.bool_]) -> float:
    """Mean stroke width: a stroke of length L and width w has area L*w and perimeter ~2L."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * float(mask.sum()) / max(perimeter, 1.0)


def line_crop(page: NDArray[np.uint8], box: Box) -> tuple[NDArray[np.uint8], Box, tuple[int, int]]:
    """The line with room for handwriting that overflows it: (crop, its page box, core rows).

    ``core`` is the printed line's rows inside the crop. Handwritten digits stand taller
    than the print and the OCR box may cover only part of them, hence a third of a line
    height above and below.
    """
    ph, pw = page.shape[:2]
    left, top, width, height = box
    grow_x, grow_y = round(0.3 * height), round(0.35 * height)
    x0, y0 = max(0, left - grow_x), max(0, top - grow_y)
    x1, y1 = min(pw, left + width + grow_x), min(ph, top + height + grow_y)
    crop = np.ascontiguousarray(page[y0:y1, x0:x1])
    return crop, (x0, y0, x1 - x0, y1 - y0), (top - y0, top - y0 + height)


def read_blanks(
    page: NDArray[Any], box: Box, fields: Sequence[FieldKind]
) -> dict[FieldKind, BlankReading]:
    """Read the blanks ``fields`` of one printed line (one Tesseract pass over the line).

    ``page`` is the page image (H x W grey or RGB), ``box`` the line's (left, top, width,
    height) in page pixels. Never raises for the image's content: what cannot be read comes
    back with ``agreed=False`` and a reason.
    """
    rgb = lr.to_rgb(page)
    if rgb is None or box[2] <= 0 or box[3] <= 0:
        return {f: _unread(f, box, "no page image or an empty line box") for f in fields}
    try:
        line, line_box, core = line_crop(rgb, box)
        if min(line.shape[:2]) < 4:
            return {f: _unread(f, box, "the line box lies outside the page") for f in fields}
        words = line_symbols(line)
        colour = page.ndim == 3 and not lr.is_grey(rgb)
        return {f: _read_one(line, line_box, core, words, f, colour) for f in fields}
    except MissingDependencyError:
        raise
    except Exception as exc:  # a recognizer's failure sends the value to a clerk
        log.warning("reading the blanks of line %s failed", box, exc_info=True)
        return {f: _unread(f, box, f"reading failed: {exc}") for f in fields}


def read_blank(page: NDArray[Any], box: Box, field: FieldKind) -> BlankReading:
    """Read one blank (``"number"``, ``"day"`` or ``"month"``) of a printed line."""
    return read_blanks(page, box, [field])[field]


def _read_one(
    line: NDArray[np.uint8],
    line_box: Box,
    core: tuple[int, int],
    words: list[list[tuple[str, Box]]],
    field: FieldKind,
    colour: bool,
) -> BlankReading:
    blank = locate_blank(line, field, core, words)
    crop = sub(line, blank.value)
    first = _aster.read(crop, allowed=DIGITS)
    second = _digit_reader.read(crop)
    readings = (
        ValueReading("asterocr", first.text, first.confidence, parse_value(first.text, field)),
        ValueReading("tesseract", second.text, second.confidence, parse_value(second.text, field)),
    )
    a, b = readings[0].value, readings[1].value
    agreed = a is not None and b is not None and int(a) == int(b) and bool(blank.anchors)
    # both printed anchors read, or the box may hold print or have lost a digit to it
    # the year ends its line: its one anchor is "năm"
    anchored = blank.found or (field == "year" and bool(blank.anchors))
    agreed &= anchored and not blank.touching
    if not blank.anchors:
        reason = "no printed anchor of the blank was read: the whole line was read"
    elif blank.touching:
        reason = "the handwriting runs into the print beside the blank: a digit may be cut off"
    elif agreed:
        reason = "two recognizers read the same value and it passes the checks"
    elif a is None and b is None:
        reason = "no recognizer read a valid value"
    elif a is None or b is None:
        reason = "only one recognizer read a valid value"
    else:
        reason = f"the recognizers disagree ({a} against {b})"
    if not blank.found:
        reason += "; the printed anchors around the blank were not all read"
    v = blank.value
    crop_box = (line_box[0] + v[0], line_box[1] + v[1], v[2], v[3])
    ink = measure_ink(line, blank, colour)
    return BlankReading(field, readings, ink, crop_box, agreed, a if agreed else None, reason)


def _unread(field: FieldKind, box: Box, reason: str) -> BlankReading:
    ink = InkMeasure(False, None, None, "not measured")
    return BlankReading(field, (), ink, box, False, None, reason)
