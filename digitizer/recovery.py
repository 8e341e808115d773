"""Second OCR pass on text that Tesseract's page layout analysis left out.

Why: Tesseract's layout analysis classifies some regions as pictures and never reads them.
On OSS documents these are exactly the signature blocks (a seal and a scribble over the
signer's title and name) and underlined headings ("Độc lập - Tự do - Hạnh phúc" with its
rule) — text a clerk searches for. Reading the whole page as one block instead would wreck
the reading order of multi-column pages, so only the regions left uncovered are re-read,
each as one block, and only confident words are kept.

The cost is proportional to what was missed: a page read completely costs one mask.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from digitizer import geometry
from digitizer.ocr import OcrEngine, PageText
from digitizer.records import OcrWord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecoverySettings:
    min_word_confidence: float = 60.0
    min_region_inches: float = 0.25  # narrower ink is a mark, not a line of text
    max_regions: int = 12


def overlaps(a: OcrWord, b: OcrWord, share: float = 0.4) -> bool:
    """True when two word boxes share more than ``share`` of the smaller one."""
    dx = min(a.left + a.width, b.left + b.width) - max(a.left, b.left)
    dy = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    if dx <= 0 or dy <= 0:
        return False
    smaller = min(a.width * a.height, b.width * b.height)
    return dx * dy > share * max(smaller, 1)


def _uncovered_regions(
    gray: NDArray[np.uint8], dpi: float, words: list[OcrWord], settings: RecoverySettings
) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1, full-resolution pixels) of text-like ink no word covers."""
    mask = geometry.ink_mask(gray, dpi)
    scale = mask.shape[0] / gray.shape[0]
    pad = max(1, round(0.03 * dpi * scale))
    for w in words:
        x0, y0 = int(w.left * scale) - pad, int(w.top * scale) - pad
        x1, y1 = int((w.left + w.width) * scale) + pad, int((w.top + w.height) * scale) + pad
        mask[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = 0
    work_dpi = dpi * scale
    # Join letters into words and words into lines.
    kernel = cv2.getStructuringElement(
        cv2.MORPH_RECT, (max(3, round(0.12 * work_dpi)), max(1, round(0.02 * work_dpi)))
    )
    joined = cv2.dilate(mask, kernel)
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    boxes = []
    for i in range(1, n):
        x, y, bw, bh = (int(v) for v in stats[i][:4])
        if bw < settings.min_region_inches * work_dpi or bh < 0.06 * work_dpi:
            continue
        if bh > 0.6 * work_dpi:  # a picture, a seal without text around it, a sketch
            continue
        margin = 0.06 * work_dpi
        boxes.append(
            (
                max(0, int((x - margin) / scale)),
                max(0, int((y - margin) / scale)),
                min(gray.shape[1], int((x + bw + margin) / scale)),
                min(gray.shape[0], int((y + bh + margin) / scale)),
            )
        )
    boxes.sort(key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)
    return boxes[: settings.max_regions]


def recover_missed_text(
    gray: NDArray[np.uint8],
    dpi: float,
    text: PageText,
    engine: OcrEngine,
    settings: RecoverySettings | None = None,
) -> PageText:
    """``text`` plus the confident words found in regions the page OCR did not read."""
    settings = settings or RecoverySettings()
    regions = _uncovered_regions(gray, dpi, text.words, settings)
    if not regions:
        return text
    next_line = max((w.line for w in text.words), default=-1) + 1
    next_block = max((w.block for w in text.words), default=-1) + 1
    added: list[OcrWord] = []
    for x0, y0, x1, y1 in sorted(regions, key=lambda b: (b[1], b[0])):
        crop = np.ascontiguousarray(gray[y0:y1, x0:x1])
        found = engine.recognize(crop, dpi, block=True)
        line_map: dict[int, int] = {}
        for w in found.words:
            if w.confidence < settings.min_word_confidence or not any(c.isalnum() for c in w.text):
                continue
            word = OcrWord(
                w.text, w.left + x0, w.top + y0, w.width, w.height, w.confidence, next_block, 0
            )
            # a region cut through a line that was read: keep only what is new
            if any(overlaps(word, old) for old in text.words) or any(
                overlaps(word, new) for new in added
            ):
                continue
            line = line_map.setdefault(w.line, next_line + len(line_map))
            added.append(dataclasses.replace(word, line=line))
        next_line += len(line_map)
        next_block += 1
    if added:
        log.debug("recovered %d words in %d regions", len(added), len(regions))
    return PageText(text.words + added)
