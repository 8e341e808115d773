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
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from digitizer import line_reader as lr
from digitizer.errors import MissingDependencyError
from digitizer.line_reader import ink_mask, sub

log = logging.getLogger(__name__)

FieldKind = Literal["number", "day", "month", "year"]
Box = tuple[int, int, int, int]  # left, top, width, height in page pixels

#: Printed anchors around each blank, matched on Tesseract's lower-cased words.
_LEFT = {
    "number": r"s[oóòỏõọôốồổỗộơớờởỡợ]\s*:?",
    "day": r"n?g[aàáảãạ]y",
    "month": r"th\w{1,2}ng",
    "year": r"n[aăâ]m",
}
#: The number's right anchor is the "/" of the printed symbol ("/QĐ-UBND"): a "/" followed by a
#: letter, since Tesseract reads a handwritten 7 or 1 as "/" too.
_RIGHT = {"number": r"/\s*[^\W\d_]", "day": r"th\w{1,2}ng", "month": r"n[aăâ]m", "year": r"$^"}
#: Widest plausible value, in line heights, when the right anchor was not read.
_SPAN = {"number": 5.0, "day": 2.5, "month": 2.5, "year": 3.5}
_RANGE = {"number": (1, 99999), "day": (1, 31), "month": (1, 12), "year": (1900, 2100)}
#: A printed "/" is about a third of a line height wide; a box much wider holds a digit too.
_SLASH_WIDTH = 0.7
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


@dataclass(frozen=True, slots=True)
class Blank:
    """Where a blank is inside its line crop (crop pixels) and where the print around it is.

    ``context`` spans the anchors and the value ("Số: 87 /QĐ-UBND"); ``found`` says both
    anchors were read, ``anchors`` holds the boxes of those that were.
    """

    value: Box
    context: Box
    anchors: tuple[Box, ...]
    found: bool
    # the handwriting runs into the print around the blank (a "7" written over the "/" of
    # "/SNV-NC"): the value's box may have lost a digit to the anchor, whatever is read
    touching: bool = False


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


def _find(words: list[list[tuple[str, Box]]], pattern: str, start: int) -> tuple[int, int, int]:
    """First match of ``pattern`` in a word from ``start`` on: (word, first, last symbol)."""
    for wi in range(start, len(words)):
        symbols = words[wi]
        match = re.search(pattern, "".join(s for s, _ in symbols))
        if match is None:
            continue
        offsets = np.cumsum([len(s) for s, _ in symbols])
        first = int(np.searchsorted(offsets, match.start(), side="right"))
        last = int(np.searchsorted(offsets, max(match.end() - 1, match.start()), side="right"))
        return wi, first, min(last, len(symbols) - 1)
    return -1, -1, -1


def locate_blank(
    line: NDArray[np.uint8],
    field: FieldKind,
    core: tuple[int, int],
    words: list[list[tuple[str, Box]]] | None = None,
) -> Blank:
    """Find the blank of ``field`` in an RGB line crop whose printed text spans rows ``core``.

    The blank runs from the end of the left anchor's last letter to the start of the right
    anchor (a merged symbol box, as Tesseract gives for ":2", is capped at a third of a line
    height). When one anchor was not read, the word next to the other one is the blank.
    The value's box is the union of the ink components whose centre lies in the blank and
    on the printed line (dots, rules and specks dropped); without anchors, the whole line.
    ``words``: Tesseract's symbols of ``line`` (:func:`line_symbols`), when already read.
    """
    h, w = line.shape[:2]
    line_h = max(1, core[1] - core[0])
    words = line_symbols(line) if words is None else words
    wl, _, sl = _find(words, _LEFT[field], 0)
    wr, sr, _ = _find(words, _RIGHT[field], max(wl, 0))
    if wl >= 0 and words[wl][sl][0] == ":" and sl > 0:
        sl -= 1  # the colon's box swallows a digit written against it
    anchors: list[Box] = []
    x0 = x1 = -1
    if wl >= 0:
        box = words[wl][sl][1]
        x0 = box[0] + min(box[2], round(0.6 * line_h))
        anchors.append(_union([b for _, b in words[wl][: sl + 1]]))
    if wr >= 0 and words[wr][sr][1][0] > x0:
        x1 = words[wr][sr][1][0]
        anchors.append(_union([b for _, b in words[wr][sr:]]))
    if x0 < 0 and x1 < 0:
        return Blank((0, 0, w, h), (0, 0, w, h), (), False)
    if x0 < 0:  # the word before the right anchor
        before = [b for _, b in words[wr - 1]] if wr > 0 else []
        x0 = before[0][0] - 1 if before else max(0, x1 - round(_SPAN[field] * line_h))
    elif x1 < 0:  # the word after the left anchor, when the anchor ends its word
        after = [b for _, b in words[wl + 1]] if wl + 1 < len(words) else []
        if sl == len(words[wl]) - 1 and after:
            x1 = after[-1][0] + after[-1][2] + 1
        else:
            x1 = min(w, x0 + round(_SPAN[field] * line_h))
    value = _value_box(line, (x0, x1), core) or (x0, core[0], max(1, x1 - x0), line_h)
    context = _union([*anchors, value])
    touching = _runs_into_print(line, (x0, x1), core)
    if wr >= 0 and words[wr][sr][0] == "/":  # a digit written over the printed "/"
        touching |= _more_than_one_glyph(line, words[wr][sr][1], core)
    return Blank(value, context, tuple(anchors), wl >= 0 and wr >= 0, touching)


def _union(boxes: list[Box]) -> Box:
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def _more_than_one_glyph(line: NDArray[np.uint8], box: Box, core: tuple[int, int]) -> bool:
    """More than one glyph-sized ink component centred in ``box``: a printed "/" is one
    stroke; a second is a handwritten digit over it ("7/" read as "/")."""
    if box[2] > _SLASH_WIDTH * max(1, core[1] - core[0]):
        return True
    count, _, stats, _ = cv2.connectedComponentsWithStats(
        ink_mask(line).astype(np.uint8), connectivity=8
    )
    line_h = max(1, core[1] - core[0])
    inside = 0
    for i in range(1, count):
        left, _, width, height, _ = (int(v) for v in stats[i])
        if height >= 0.4 * line_h and box[0] <= left + width / 2 <= box[0] + box[2]:
            inside += 1
    return inside > 1


def _runs_into_print(line: NDArray[np.uint8], span: tuple[int, int], core: tuple[int, int]) -> bool:
    """An ink stroke of glyph size that crosses an edge of the blank: handwriting joined to
    the printed anchor beside it, so the value's box may cut a digit off."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(
        ink_mask(line).astype(np.uint8), connectivity=8
    )
    line_h = max(1, core[1] - core[0])
    for i in range(1, count):
        left, _, width, height, area = (int(v) for v in stats[i])
        if height < 0.5 * line_h or area < 0.05 * line_h * line_h:
            continue  # a rule, a dot, a speck
        right = left + width
        if any(left + 0.15 * line_h < edge < right - 0.15 * line_h for edge in span):
            return True
    return False


def _value_box(line: NDArray[np.uint8], span: tuple[int, int], core: tuple[int, int]) -> Box | None:
    """The ink components centred between the anchors and on the printed line."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(
        ink_mask(line).astype(np.uint8), connectivity=8
    )
    line_h = max(1, core[1] - core[0])
    boxes: list[Box] = []
    for i in range(1, count):
        left, top, width, height, area = (int(v) for v in stats[i])
        cx, cy = left + width / 2, top + height / 2
        if not span[0] < cx < span[1] or not core[0] - 0.2 * line_h < cy < core[1]:
            continue
        if area < 0.02 * line_h * line_h or max(width, height) < 0.3 * line_h:
            continue  # specks, dots of a colon or a comma
        if height < 0.25 * line_h and width > 2 * height:
            continue  # a rule or a dash, not a digit
        boxes.append((left, top, width, height))
    return _union(boxes) if boxes else None


def parse_value(text: str, field: FieldKind, *, context: bool = False) -> str | None:
    """The field's value in a recognizer's ``text``, or ``None`` if it fails the checks.

    ``context=True``: the text holds the anchors too ("Số: 87 /QĐ-UBND", "ngày 05 tháng")
    and the value is what stands between them. No letter is turned into a digit ("O" is
    not read as "0"): such guesses would let two wrong readings agree.
    """
    text = unicodedata.normalize("NFC", text).lower()
    if context:
        match = re.search(f"(?:{_LEFT[field]})(.*?)(?:{_RIGHT[field]})", text)
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
