"""Page orientation (0/90/180/270) and skew (±12°), measured without Tesseract's OSD.

Why not OSD: on these pages ``tesseract --psm 0`` costs more than the OCR itself (TOOLS.md).
What we do instead costs a few tens of milliseconds:

* **Skew and sideways pages** from projection profiles of the ink on a ~100 dpi copy: text
  lines make the row histogram of the ink sharp only when the lines are horizontal, so the
  angle (and the axis: rows vs columns) that maximises the histogram's energy is the page's.
* **Upside down** from the shape of the text lines themselves: in Latin script, and even more
  in Vietnamese with its stacked diacritics, more ink sits above a line's x-height band
  (capitals, ascenders b d h k l t đ, tone marks) than below it (g p q y, the dot below).
  A page turned 180° shows the reverse. Where the vote is close (a page of capitals, a
  table), the caller settles it with a small OCR probe (see :mod:`digitizer.pipeline`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

log = logging.getLogger(__name__)

_WORK_DPI = 100.0
_MAX_POINTS = 120_000
_COARSE_RANGE_DEG = 12.0
_MIN_INK_POINTS = 400
_MAX_GLYPH_INCHES = 0.45
_MAX_WORD_INCHES = 2.5


@dataclass(frozen=True, slots=True)
class PageGeometry:
    """How a scanned page sits.

    ``rotation``: degrees the page was turned clockwise when scanned (0, 90, 180, 270).
    ``skew_deg``: small rotation of the content, counter-clockwise positive.
    ``updown_margin``: the ascender/descender vote in [-1, 1] (far from 0 = confident).
    ``blank``: too little ink to tell anything.
    """

    rotation: int
    skew_deg: float
    updown_margin: float
    blank: bool = False

    @property
    def updown_certain(self) -> bool:
        return self.blank or abs(self.updown_margin) >= 0.12

    def flipped(self) -> PageGeometry:
        """The same geometry turned by 180° (used when the OCR probe overrules the vote)."""
        return PageGeometry((self.rotation + 180) % 360, self.skew_deg, -self.updown_margin)


def to_gray(img: Image.Image) -> NDArray[np.uint8]:
    """Grey values for analysis and OCR.

    Colour pages use the red channel: red seals and yellowed paper are bright there,
    while black and blue ink stay dark, so seals and stains drop out of the text.
    """
    if img.mode == "RGB":
        return np.asarray(img.getchannel("R"))
    if img.mode == "L":
        return np.asarray(img)
    return np.asarray(img.convert("L"))


def ink_mask(gray: NDArray[np.uint8], dpi: float) -> NDArray[np.uint8]:
    """A ~100 dpi mask of the page's *text* ink, robust to uneven (yellowed, stained) paper.

    Only components of text size are kept: frames and rules, the black edge of the scanner
    bed, seals, photos and specks would otherwise dominate the projection profiles.
    """
    scale = min(1.0, _WORK_DPI / dpi)
    work_dpi = dpi * scale
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    mask = cv2.adaptiveThreshold(
        small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, blockSize=25, C=18
    )
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    area = stats[:, cv2.CC_STAT_AREA]
    short, long = np.minimum(width, height), np.maximum(width, height)
    keep = (
        (short <= _MAX_GLYPH_INCHES * work_dpi)  # a letter or a word, not a seal or a photo
        & (long <= _MAX_WORD_INCHES * work_dpi)  # not a rule, frame or scanner edge
        & (area >= 3)  # not a speck of noise
    )
    keep[0] = False
    return np.asarray(keep[labels], dtype=np.uint8)


def measure(gray: NDArray[np.uint8], dpi: float) -> PageGeometry:
    """Find the rotation and skew of a page from its grey image."""
    mask = ink_mask(gray, dpi)
    ys, xs = np.nonzero(mask)
    if ys.size < _MIN_INK_POINTS:
        return PageGeometry(0, 0.0, 0.0, blank=True)
    if ys.size > _MAX_POINTS:
        pick = np.random.default_rng(0).choice(ys.size, _MAX_POINTS, replace=False)
        ys, xs = ys[pick], xs[pick]
    y = ys.astype(np.float64) - mask.shape[0] / 2
    x = xs.astype(np.float64) - mask.shape[1] / 2

    # Horizontal text: rows are sharp. Sideways text: columns are sharp.
    coarse = np.arange(-_COARSE_RANGE_DEG, _COARSE_RANGE_DEG + 1e-9, 0.25)
    best_h = _best_angle(y, x, coarse)
    best_v = _best_angle(x, -y, coarse)
    sideways = best_v[1] > best_h[1]
    rows, cols = (x, -y) if sideways else (y, x)
    angle = best_h[0] if not sideways else best_v[0]
    # Refine on half-pixel bins, finer than the ~100 dpi copy. Each ink pixel is spread
    # over its pixel square first (a fixed dither): integer coordinates on half-pixel bins
    # would fill only every other bin near 0 degrees, a false peak of sharpness there.
    dither = np.random.default_rng(1).uniform(-0.5, 0.5, size=(2, rows.size))
    fine_rows, fine_cols = (rows + dither[0]) * 2, (cols + dither[1]) * 2
    for step, span in ((0.05, 0.3), (0.01, 0.06)):
        angle = _best_angle(
            fine_rows, fine_cols, np.arange(angle - span, angle + span + 1e-9, step)
        )[0]

    margin = _updown_vote(rows, cols, angle)
    # ``rows``/``cols`` describe the page as if turned upright by 0 (horizontal) or by
    # 90° counter-clockwise (sideways). A negative vote means it is upside down on top of that.
    if sideways:
        rotation = 270 if margin >= 0 else 90
    else:
        rotation = 0 if margin >= 0 else 180
    return PageGeometry(rotation, round(angle, 3), round(margin, 3))


def _projection(
    rows: NDArray[np.float64], cols: NDArray[np.float64], deg: float
) -> NDArray[np.int64]:
    t = np.deg2rad(deg)
    proj = rows * np.cos(t) + cols * np.sin(t)
    idx = np.round(proj - proj.min()).astype(np.int64)
    return np.bincount(idx)


def _best_angle(
    rows: NDArray[np.float64], cols: NDArray[np.float64], angles: NDArray[np.float64]
) -> tuple[float, float]:
    """The angle whose row projection changes most sharply, and that sharpness.

    The energy of the profile's first difference (not of the profile itself) is used
    because it does not depend on the page's aspect ratio, so rows and columns compare.
    """
    best = (0.0, -1.0)
    for deg in angles:
        step = np.diff(_projection(rows, cols, float(deg)).astype(np.float64))
        energy = float(np.dot(step, step))
        if energy > best[1]:
            best = (float(deg), energy)
    return best


def _updown_vote(rows: NDArray[np.float64], cols: NDArray[np.float64], angle: float) -> float:
    """Ink above minus ink below the x-height band of each text line, normalised to [-1, 1].

    Positive: the page reads upright in this frame; negative: it is upside down.
    """
    hist = _projection(rows, cols, angle)
    if hist.size < 5:
        return 0.0
    on = hist > max(1, int(0.04 * hist.max()))
    above_total = below_total = 0.0
    start = None
    for i, flag in enumerate(np.append(on, False)):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            band = hist[start:i].astype(np.float64)
            start = None
            if band.size < 4:
                continue
            core = np.nonzero(band >= 0.5 * band.max())[0]
            top, bottom = int(core[0]), int(core[-1])
            # bands that are only diacritics or a rule have no core/extents to compare
            if bottom - top < 2:
                continue
            above_total += float(band[:top].sum())
            below_total += float(band[bottom + 1 :].sum())
    total = above_total + below_total
    return 0.0 if total == 0 else (above_total - below_total) / total


def apply(
    img: Image.Image, geometry: PageGeometry, fill: int | tuple[int, ...] | None = None
) -> Image.Image:
    """Turn ``img`` upright and remove its skew, at full resolution."""
    if geometry.rotation:
        # The scan was turned clockwise; turning it back is counter-clockwise.
        transpose = {
            90: Image.Transpose.ROTATE_90,
            180: Image.Transpose.ROTATE_180,
            270: Image.Transpose.ROTATE_270,
        }[geometry.rotation]
        img = img.transpose(transpose)
    if abs(geometry.skew_deg) < 0.02:
        return img
    bilevel = img.mode == "1"
    work = img.convert("L") if bilevel else img
    arr = np.asarray(work)
    if fill is None:
        fill = _paper_colour(arr)
    h, w = arr.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -geometry.skew_deg, 1.0)
    border = tuple(int(v) for v in np.atleast_1d(fill))
    out = cv2.warpAffine(
        arr,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=border if len(border) > 1 else border[0],
    )
    result = Image.fromarray(out, mode=work.mode)
    if bilevel:
        result = result.point(lambda v: 255 if v >= 128 else 0).convert("1")
    return result


def _paper_colour(arr: NDArray[np.uint8]) -> tuple[int, ...]:
    """The page's background colour: the median of a thin border strip."""
    strip = np.concatenate(
        [arr[:8].reshape(-1, *arr.shape[2:]), arr[-8:].reshape(-1, *arr.shape[2:])]
    )
    med = np.median(strip, axis=0)
    return tuple(int(v) for v in np.atleast_1d(med))
