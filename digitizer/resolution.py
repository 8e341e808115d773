"""Reading a page at the size Tesseract reads best: small text is enlarged first, per page.

Archives and office photocopier-scanners deliver pages at about 100 dpi, where a line of
body text is 9 or 10 pixels tall: Tesseract then misreads diacritics and thin strokes. Read
from a 2x Lanczos enlargement of the same image, such a page reads markedly better (on the
real decisions and letters of shared/real-dev brought down to 100 dpi, the distance to the
300 dpi reading falls on every page, see benchmarks/bench_resolution.py). On pages that
are already fine, enlarging costs 2-4x the time and reads worse, so the decision is made per
page from what the text measures, not from the resolution the file claims (photocopiers
often write a wrong one): the median height of the glyphs' connected components.

Words are read on the enlarged image and handed back in the coordinates of the page as it
was scanned, so the text layer, field crops and re-readings all keep working on that page.
"""

from __future__ import annotations

import dataclasses
import logging

import cv2
import numpy as np
from numpy.typing import NDArray

from digitizer.ocr import OcrEngine, PageText
from digitizer.records import OcrWord

log = logging.getLogger(__name__)

# Median glyph height (px) under which a page is enlarged. Real letters and decisions measure
# 26-28 px at 300 dpi, 18-19 at 200, 14 at 150, 9-10 at 100; read enlarged 2x, four of four
# pages read better at 150 and 100 dpi, three of four worse at 200 dpi.
SMALL_GLYPH_PX = 16.0
ENLARGEMENT = 2.0
_MIN_GLYPHS = 150  # fewer: a near-blank page (a stamp, a signature), nothing to measure
# specks of dust and of a faded stamp are smaller than any letter even at 75 dpi
_MIN_GLYPH_PX = 6


def glyph_height(gray: NDArray[np.uint8]) -> float | None:
    """The median height of the page's glyph-like ink components, or None when there are
    too few to tell (a blank page, a faded stamp alone)."""
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    height = stats[1:, cv2.CC_STAT_HEIGHT]
    width = stats[1:, cv2.CC_STAT_WIDTH]
    area = stats[1:, cv2.CC_STAT_AREA]
    glyphs = (
        (height >= _MIN_GLYPH_PX)
        & (height <= gray.shape[0] // 20)
        & (width <= 4 * height)
        & (area >= 8)
    )
    if int(glyphs.sum()) < _MIN_GLYPHS:
        return None
    return float(np.median(height[glyphs]))


def enlargement(height: float | None) -> float:
    """How much to enlarge a page whose glyphs measure ``height`` before reading it: 1.0
    (as it is) or ENLARGEMENT."""
    if height is None or height >= SMALL_GLYPH_PX:
        return 1.0
    return ENLARGEMENT


def enlargement_for(gray: NDArray[np.uint8]) -> float:
    return enlargement(glyph_height(gray))


def read_page(
    engine: OcrEngine, gray: NDArray[np.uint8], dpi: float, scale: float | None = None
) -> PageText:
    """OCR ``gray``, enlarged by ``scale`` first (decided here from the page when not
    given); the words' boxes are in ``gray``'s own pixels."""
    if scale is None:
        scale = enlargement_for(gray)
    if scale == 1.0:
        return engine.recognize(gray, dpi)
    log.debug("small text (%.0f dpi page): read enlarged %.0fx", dpi, scale)
    big = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_LANCZOS4)
    text = engine.recognize(np.ascontiguousarray(big, dtype=np.uint8), dpi * scale)
    return PageText([_shrunk(word, scale) for word in text.words])


def _shrunk(word: OcrWord, scale: float) -> OcrWord:
    """A word's box brought back from the enlarged image to the page's own pixels."""
    left, top = int(word.left / scale), int(word.top / scale)
    right = int(np.ceil((word.left + word.width) / scale))
    bottom = int(np.ceil((word.top + word.height) / scale))
    return dataclasses.replace(
        word, left=left, top=top, width=max(1, right - left), height=max(1, bottom - top)
    )
