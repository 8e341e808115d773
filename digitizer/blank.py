"""Blank pages: the backs of single-sided sheets that a duplex scanner reads anyway.

A profile with ``blank_pages = "drop"`` leaves them out of the signed PDF (the original file
is kept as scanned, so nothing is lost). The test is deliberately conservative, because a
dropped page that carried a signature or a hand-written note is worse than a kept blank one:

* ink is what is *clearly* darker than the paper around it (a local threshold, so yellowed
  or unevenly lit paper does not count), which leaves out show-through from the other side;
* specks of dust and the dark edge of the scanner bed (a margin band) are ignored;
* any stroke worth reading, even a lone signature, is enough ink to keep the page.

It runs on a ~100 dpi copy before OCR, so a blank back costs a few milliseconds, not a read.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

_WORK_DPI = 100.0
# A pixel is ink when it is this many grey levels darker than the mean of its neighbourhood:
# printed and written ink is 100+ levels darker; show-through and paper texture are not.
_INK_CONTRAST = 45
_NEIGHBOURHOOD_INCHES = 0.35
# Components smaller than this (at 100 dpi, pixels) are specks, not strokes.
_MIN_STROKE_PIXELS = 12
# The scanner bed's edges and punched holes live in this band around the page.
_MARGIN_SHARE = 0.04
# Ink on more than this share of the inner page: not blank. A lone signature is ~0.06 %.
_MAX_BLANK_INK_SHARE = 0.00015


def ink_share(gray: NDArray[np.uint8], dpi: float) -> float:
    """The share of the page's inner area covered by clear strokes (0.0 to 1.0)."""
    scale = min(1.0, _WORK_DPI / dpi)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    height, width = small.shape
    dy, dx = int(height * _MARGIN_SHARE), int(width * _MARGIN_SHARE)
    inner = np.ascontiguousarray(small[dy : height - dy, dx : width - dx])
    if inner.size == 0:
        return 0.0
    block = max(3, int(_NEIGHBOURHOOD_INCHES * dpi * scale) | 1)
    mask = cv2.adaptiveThreshold(
        inner, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, _INK_CONTRAST
    )
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    strokes = int(areas[areas >= _MIN_STROKE_PIXELS].sum())
    return strokes / inner.size


def is_blank(gray: NDArray[np.uint8], dpi: float) -> bool:
    """True for a page with no stroke worth keeping (see the module's docstring)."""
    return ink_share(gray, dpi) <= _MAX_BLANK_INK_SHARE
