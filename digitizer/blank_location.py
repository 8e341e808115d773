"""Where a value was written into a printed line: the blank between its printed anchors.

Tesseract reads print reliably even where it garbles handwriting, so the printed words
around a blank — "Số:" and the "/" of "/QĐ-UBND"; "ngày" and "tháng"; "tháng" and "năm";
"năm" before the year — locate it, and the value's box is the ink between them. Where the
handwriting runs into the print (a "7" written over the "/"), the box may have lost a digit:
:attr:`Blank.touching` says so, and no reading of such a box is trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from digitizer.line_reader import ink_mask

FieldKind = Literal["number", "day", "month", "year"]
Box = tuple[int, int, int, int]  # left, top, width, height in page pixels

#: The printed word before each blank, as Tesseract reads it (lower case).
ANCHOR_BEFORE = {
    "number": r"s[oóòỏõọôốồổỗộơớờởỡợ]\s*:?",
    "day": r"n?g[aàáảãạ]y",
    "month": r"th\w{1,2}ng",
    "year": r"n[aăâ]m",
}
#: The number's right anchor is the "/" of the printed symbol ("/QĐ-UBND"): a "/" followed by a
#: letter, since Tesseract reads a handwritten 7 or 1 as "/" too.
ANCHOR_AFTER = {
    "number": r"/\s*[^\W\d_]",
    "day": r"th\w{1,2}ng",
    "month": r"n[aăâ]m",
    "year": r"$^",
}
#: Widest plausible value, in line heights, when the right anchor was not read.
_SPAN = {"number": 5.0, "day": 2.5, "month": 2.5, "year": 3.5}
#: A printed "/" is about a third of a line height wide; a box much wider holds a digit too.
_SLASH_WIDTH = 0.7


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
    words: list[list[tuple[str, Box]]],
) -> Blank:
    """Find the blank of ``field`` in an RGB line crop whose printed text spans rows ``core``.

    The blank runs from the end of the left anchor's last letter to the start of the right
    anchor (a merged symbol box, as Tesseract gives for ":2", is capped at a third of a line
    height). When one anchor was not read, the word next to the other one is the blank.
    The value's box is the union of the ink components whose centre lies in the blank and
    on the printed line (dots, rules and specks dropped); without anchors, the whole line.
    ``words``: Tesseract's symbols of ``line`` (``handwriting.line_symbols``).
    """
    h, w = line.shape[:2]
    line_h = max(1, core[1] - core[0])
    wl, _, sl = _find(words, ANCHOR_BEFORE[field], 0)
    wr, sr, _ = _find(words, ANCHOR_AFTER[field], max(wl, 0))
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
