"""Turning a page upright before it is read: orientation and skew, and the OCR probe.

:func:`digitizer.geometry.measure` decides from projection profiles and the balance of
ascenders and descenders (about 45 ms a page, far cheaper than Tesseract's OSD). When its
up/down vote is close, a strip of the page (the inkiest band, about an inch tall) is read
both ways up and the more confident reading decides.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from digitizer import geometry
from digitizer.geometry import PageGeometry
from digitizer.ocr import OcrEngine

log = logging.getLogger(__name__)

_PROBE_BAND_INCHES = 1.2


def orient(
    img: Image.Image, dpi: float, engine: OcrEngine, *, probe: bool
) -> tuple[Image.Image, PageGeometry]:
    """Turn the page upright and deskew it; settle a close up/down vote with an OCR probe."""
    gray = geometry.to_gray(img)
    geom = geometry.measure(gray, dpi)
    if probe and not geom.updown_certain:
        geom = _probe_updown(gray, dpi, geom, engine)
    return geometry.apply(img, geom), geom


def _probe_updown(
    gray: NDArray[np.uint8], dpi: float, geom: PageGeometry, engine: OcrEngine
) -> PageGeometry:
    """OCR the inkiest strip of the page both ways up; keep the more confident reading."""
    upright = np.asarray(geometry.apply(Image.fromarray(gray), geom))
    band = _inkiest_band(upright, dpi)
    if band is None:
        return geom
    as_is = engine.recognize(band, dpi, block=True).mean_confidence
    turned = engine.recognize(np.ascontiguousarray(band[::-1, ::-1]), dpi, block=True)
    log.debug("orientation probe: %.1f as is, %.1f turned", as_is, turned.mean_confidence)
    return geom.flipped() if turned.mean_confidence > as_is + 5 else geom


def _inkiest_band(gray: NDArray[np.uint8], dpi: float) -> NDArray[np.uint8] | None:
    mask = geometry.ink_mask(gray, dpi)
    rows = mask.sum(axis=1).astype(np.float64)
    scale = gray.shape[0] / mask.shape[0]
    window = max(1, int(_PROBE_BAND_INCHES * dpi / scale))
    if rows.sum() == 0 or window >= rows.size:
        return None
    sums = np.convolve(rows, np.ones(window), mode="valid")
    top = int(np.argmax(sums) * scale)
    return np.ascontiguousarray(gray[top : top + int(window * scale)])
