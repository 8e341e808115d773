"""Pen and rubber-stamp marks: digits written by hand into printed blanks, urgency stamps.

Administrative documents are printed with blanks for the number and the day ("Số:    /QĐ-UBND",
"ngày    tháng 02 năm 2025") that the registry clerk fills in by pen. The digits are drawn
either with a script font (when one is installed) or as strokes: a skeleton per digit whose
points are jittered, smoothed into a curve and slanted, so no two are alike. Everything is
drawn supersampled and scaled down, which gives the soft edges of ballpoint ink.

All randomness comes from the ``numpy.random.Generator`` of the page; nothing here changes
the ground truth (the text drawn is fixed by the layout).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from samples.layout import FontBook, HandOp, StampOp

# Script fonts that may be installed (TeX Gyre Chorus is in Debian's tex-gyre package).
SCRIPT_FONTS = ("texgyrechorus-mediumitalic.otf", "z003-mediumitalic.otf", "Z003-MediumItalic.otf")
SS = 3  # supersampling factor

# Digit skeletons in a box 0.62 wide and 1 high (y down, 1 = baseline); a digit is one or
# more strokes.
_Stroke = tuple[tuple[float, float], ...]
_DIGITS: dict[str, tuple[_Stroke, ...]] = {
    "0": (
        tuple(
            (0.31 + 0.3 * math.sin(a), 0.5 - 0.5 * math.cos(a))
            for a in np.linspace(-0.3, 2 * math.pi + 0.1, 14)
        ),
    ),
    "1": (((0.12, 0.28), (0.42, 0.0), (0.38, 1.0)),),
    "2": (
        (
            (0.04, 0.25),
            (0.2, 0.03),
            (0.45, 0.02),
            (0.6, 0.2),
            (0.52, 0.48),
            (0.02, 1.0),
            (0.66, 0.97),
        ),
    ),
    "3": (
        (
            (0.04, 0.12),
            (0.32, 0.0),
            (0.58, 0.14),
            (0.5, 0.38),
            (0.24, 0.47),
            (0.54, 0.55),
            (0.64, 0.78),
            (0.44, 0.98),
            (0.12, 0.96),
            (0.0, 0.84),
        ),
    ),
    "4": (((0.46, 0.0), (0.02, 0.68), (0.68, 0.68)), ((0.5, 0.32), (0.48, 1.0))),
    "5": (
        (
            (0.6, 0.02),
            (0.14, 0.0),
            (0.08, 0.45),
            (0.36, 0.38),
            (0.6, 0.55),
            (0.62, 0.8),
            (0.4, 1.0),
            (0.04, 0.92),
        ),
    ),
    "6": (
        (
            (0.56, 0.04),
            (0.3, 0.12),
            (0.06, 0.5),
            (0.06, 0.84),
            (0.3, 1.0),
            (0.58, 0.86),
            (0.56, 0.6),
            (0.3, 0.54),
            (0.06, 0.72),
        ),
    ),
    "7": (((0.0, 0.06), (0.64, 0.02), (0.26, 1.0)),),
    "8": (
        (
            (0.5, 0.1),
            (0.3, 0.0),
            (0.1, 0.16),
            (0.2, 0.4),
            (0.5, 0.56),
            (0.64, 0.8),
            (0.4, 1.0),
            (0.1, 0.9),
            (0.14, 0.66),
            (0.44, 0.46),
            (0.56, 0.2),
            (0.48, 0.08),
        ),
    ),
    "9": (
        (
            (0.6, 0.3),
            (0.34, 0.46),
            (0.1, 0.34),
            (0.12, 0.08),
            (0.36, 0.0),
            (0.6, 0.16),
            (0.6, 0.5),
            (0.48, 1.0),
        ),
    ),
    "/": (((0.55, 0.0), (0.05, 1.0)),),
}


@cache
def script_font_path() -> Path | None:
    """An installed script font, or None (then digits are drawn as strokes)."""
    for root in (
        Path("/usr/share/texmf"),
        Path("/usr/share/texlive"),
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
    ):
        if root.is_dir():
            for name in SCRIPT_FONTS:
                for hit in root.rglob(name):
                    return hit
    return None


@dataclass(frozen=True, slots=True)
class Pen:
    """How one clerk writes on one page: ink, stroke width, slant, size and the hand style."""

    rgb: tuple[int, int, int]
    width_mm: float
    slant: float  # shear, positive leans right
    height: float  # digit height relative to the printed font size
    font: Path | None  # a script font, or None for drawn strokes


def pick_pen(rng: np.random.Generator) -> Pen:
    """A blue ballpoint most of the time, sometimes black; a script font a quarter of the
    time (drawn strokes look more like a hand)."""
    if rng.random() < 0.75:
        rgb = (int(rng.integers(15, 45)), int(rng.integers(35, 70)), int(rng.integers(130, 175)))
    else:
        rgb = (int(rng.integers(20, 40)),) * 3
    font = script_font_path() if rng.random() < 0.25 else None
    return Pen(
        rgb,
        float(rng.uniform(0.3, 0.6)),
        float(rng.uniform(-0.05, 0.4)),
        float(rng.uniform(1.0, 1.45)),
        font,
    )


def _smooth(points: np.ndarray, n: int = 10) -> np.ndarray:
    """Catmull-Rom curve through ``points`` (k x 2), ``n`` samples per segment."""
    if len(points) < 3:
        return points
    p = np.vstack([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, n, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5
            * (
                (2 * p1)
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
            )
        )
    out.append(p[-2:-1])
    return np.vstack(out)


def _stroke_digits(
    text: str, h: float, pen: Pen, rng: np.random.Generator, px_mm: float
) -> Image.Image:
    """The digits as jittered pen strokes, on a supersampled canvas (baseline at 1.25 h)."""
    width = max(1, round(pen.width_mm * px_mm * SS))
    adv = h * 0.62 * rng.uniform(0.95, 1.15)
    canvas = Image.new("L", (int(adv * (len(text) + 1.5) + 2 * h), int(h * 1.9)), 0)
    d = ImageDraw.Draw(canvas)
    x = h * 0.4
    for ch in text:
        scale = h * rng.uniform(0.9, 1.08)
        dy = h * rng.uniform(-0.06, 0.06)
        for stroke in _DIGITS.get(ch, ()):
            pts = np.array(stroke, dtype=np.float64)
            pts += rng.normal(0, 0.035, pts.shape)
            curve = _smooth(pts)
            xs = x + curve[:, 0] * scale + (1 - curve[:, 1]) * scale * pen.slant
            ys = h * 0.25 + dy + curve[:, 1] * scale
            d.line(
                list(zip(xs.tolist(), ys.tolist(), strict=True)),
                fill=235,
                width=width,
                joint="curve",
            )
        x += adv * rng.uniform(0.85, 1.1)
    return canvas


def _font_digits(text: str, h: float, pen: Pen, rng: np.random.Generator) -> Image.Image:
    """The digits in the script font, each glyph turned and sized a little differently."""
    assert pen.font is not None
    canvas = Image.new("L", (int(h * (0.9 * len(text) + 2.5)), int(h * 1.9)), 0)
    x = h * 0.4
    for ch in text:
        size = max(6, round(h * 1.6 * rng.uniform(0.92, 1.1)))
        font = ImageFont.truetype(str(pen.font), size, layout_engine=ImageFont.Layout.BASIC)
        tile = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(tile).text((size * 0.5, size * 1.5), ch, font=font, fill=235, anchor="ls")
        tile = tile.rotate(
            float(rng.uniform(-8, 8)) - pen.slant * 12, resample=Image.Resampling.BICUBIC
        )
        base = h * 1.25 + h * rng.uniform(-0.06, 0.06)
        canvas.paste(255, (round(x - size * 0.5), round(base - size * 1.5)), tile)
        x += font.getlength(ch) * rng.uniform(0.9, 1.1)
    return canvas


def written(
    op: HandOp, pen: Pen, rng: np.random.Generator, dpi: int
) -> tuple[int, int, np.ndarray]:
    """The value of ``op`` in pen: (x, y, alpha) of the ink patch to blend over the page."""
    px_mm = dpi / 25.4
    # digit height: about the printed cap height times the pen's size
    h = op.size_px * 0.72 * pen.height * SS
    big = (
        _font_digits(op.text, h, pen, rng)
        if pen.font is not None
        else _stroke_digits(op.text, h, pen, rng, px_mm)
    )
    box = big.getbbox()
    small = big.resize((max(1, big.width // SS), max(1, big.height // SS)), Image.Resampling.BOX)
    ink_w = ((box[2] - box[0]) / SS) if box else 0.0
    # centred in the blank, a little off as hands are; baseline near the printed one
    x = (
        op.x
        + (op.width - ink_w) / 2
        + op.width * rng.uniform(-0.15, 0.15)
        - (box[0] / SS if box else 0.0)
    )
    y = op.baseline - 1.25 * h / SS + op.size_px * rng.uniform(-0.12, 0.08)
    alpha = np.asarray(small).astype(np.float32) * rng.uniform(0.8, 1.0)
    return int(x), int(y), alpha.astype(np.uint8)


def stamp(
    op: StampOp, fonts: FontBook, rng: np.random.Generator, dpi: int
) -> tuple[int, int, np.ndarray]:
    """A boxed urgency stamp, inked unevenly and set down slightly crooked."""
    x0, y0, x1, y1 = op.box
    w, h = int(x1 - x0), int(y1 - y0)
    pad = int(h * 0.4)
    img = Image.new("L", (w + 2 * pad, h + 2 * pad), 0)
    d = ImageDraw.Draw(img)
    border = max(2, round(0.45 * dpi / 25.4))
    d.rectangle([pad, pad, pad + w, pad + h], outline=255, width=border)
    font = fonts.get(True, False, op.size_px)
    d.text((pad + w / 2, pad + h / 2), op.text, font=font, fill=255, anchor="mm")
    img = img.rotate(float(rng.uniform(-4, 4)), resample=Image.Resampling.BILINEAR)
    a = np.asarray(img).astype(np.float32) / 255.0
    speckle = 0.6 + 0.4 * (rng.random(a.shape, dtype=np.float32) > 0.12)
    alpha = np.clip(a * speckle * 255 * rng.uniform(0.75, 0.95), 0, 255).astype(np.uint8)
    return int(x0) - pad, int(y0) - pad, alpha


def stamp_ink(rng: np.random.Generator) -> tuple[int, int, int]:
    """Stamp pad colour: red mostly, sometimes black."""
    if rng.random() < 0.7:
        return (int(rng.integers(185, 220)), int(rng.integers(20, 50)), int(rng.integers(30, 60)))
    return (int(rng.integers(25, 45)),) * 3
