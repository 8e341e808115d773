"""Drawing a laid-out page: printed ink, QR codes, parcel sketches, signatures and seals.

Printed matter goes into one 8-bit ink mask at the scan resolution (Pillow draws text
directly at the target dpi, which is fast and gives real glyph edges); signatures and seals
are separate coloured overlays so the compositor can blend them like ink on paper (blue or
black pen, red stamp pad) on top of the print.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import qrcode
from PIL import Image, ImageDraw

from samples import handwriting
from samples.layout import (
    FontBook,
    HandOp,
    PageLayout,
    QrOp,
    RuleOp,
    SignatureOp,
    SketchOp,
    StampOp,
    TextOp,
)


@dataclass(slots=True)
class Overlay:
    """A coloured ink patch: ``alpha`` (0-255) placed with its top-left at (x, y)."""

    x: int
    y: int
    alpha: np.ndarray
    rgb: tuple[int, int, int]


@dataclass(slots=True)
class RenderedPage:
    """The printed ink mask (255 = full ink) and the overlays to blend over it."""

    ink: np.ndarray
    overlays: list[Overlay]
    layout: PageLayout


def render_page(
    layout: PageLayout, fonts: FontBook, rng: np.random.Generator, seal_text: tuple[str, str]
) -> RenderedPage:
    """Draw ``layout``. ``seal_text`` = (ring text, centre text) for the seal, if any."""
    img = Image.new("L", (layout.width, layout.height), 0)
    draw = ImageDraw.Draw(img)
    overlays: list[Overlay] = []
    pen: handwriting.Pen | None = None  # one clerk fills in the blanks of a page
    if layout.frame:
        _frame(draw, layout)
    for op in layout.ops:
        if isinstance(op, TextOp):
            font = fonts.get(op.bold, op.italic, op.size_px)
            draw.text((op.x, op.y), op.text, font=font, fill=255, anchor="ls")
        elif isinstance(op, RuleOp):
            draw.line([(op.x0, op.y0), (op.x1, op.y1)], fill=255, width=op.width)
        elif isinstance(op, QrOp):
            _qr(img, op)
        elif isinstance(op, SketchOp):
            _sketch(draw, op, rng, layout.dpi)
        elif isinstance(op, SignatureOp):
            overlays.append(_signature(op, rng, layout.dpi))
            if op.seal is not None:
                overlays.append(_seal(op.seal, fonts, rng, seal_text))
        elif isinstance(op, HandOp):
            pen = pen or handwriting.pick_pen(rng)
            overlays.append(Overlay(*handwriting.written(op, pen, rng, layout.dpi), pen.rgb))
        elif isinstance(op, StampOp):
            ink = handwriting.stamp_ink(rng)
            overlays.append(Overlay(*handwriting.stamp(op, fonts, rng, layout.dpi), ink))
    return RenderedPage(np.asarray(img), overlays, layout)


def _frame(draw: ImageDraw.ImageDraw, layout: PageLayout) -> None:
    """The double border with corner squares printed on certificates."""
    mm = layout.dpi / 25.4
    for inset, width in ((7 * mm, max(2, round(0.6 * mm))), (9 * mm, max(1, round(0.2 * mm)))):
        draw.rectangle(
            [inset, inset, layout.width - inset, layout.height - inset], outline=255, width=width
        )
    s = 4 * mm
    for cx in (7 * mm, layout.width - 7 * mm):
        for cy in (7 * mm, layout.height - 7 * mm):
            draw.rectangle(
                [cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2],
                outline=255,
                width=max(1, round(0.3 * mm)),
            )


def _qr(img: Image.Image, op: QrOp) -> None:
    """A real, decodable QR code scaled with nearest-neighbour to whole-ish modules."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=2)
    qr.add_data(op.value)
    qr.make(fit=True)
    matrix = np.array(qr.get_matrix(), dtype=np.uint8) * 255
    size = max(matrix.shape[0], round(op.size))
    tile = Image.fromarray(matrix).resize((size, size), Image.Resampling.NEAREST)
    img.paste(tile, (round(op.x), round(op.y)))


def _sketch(draw: ImageDraw.ImageDraw, op: SketchOp, rng: np.random.Generator, dpi: int) -> None:
    """A framed parcel outline with neighbouring boundaries, as on page 3 of a certificate."""
    x0, y0, x1, y1 = op.box
    mm = dpi / 25.4
    draw.rectangle([x0, y0, x1, y1], outline=255, width=max(1, round(0.25 * mm)))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    rx, ry = (x1 - x0) * 0.28, (y1 - y0) * 0.32
    n = int(rng.integers(4, 7))
    angles = np.sort(rng.uniform(0, 2 * math.pi, n))
    pts = [
        (
            cx + rx * rng.uniform(0.7, 1.0) * math.cos(a),
            cy + ry * rng.uniform(0.7, 1.0) * math.sin(a),
        )
        for a in angles
    ]
    draw.polygon(pts, outline=255, width=max(2, round(0.5 * mm)))
    for px, py in pts:
        ex = px + (px - cx) * 0.6
        ey = py + (py - cy) * 0.6
        draw.line([(px, py), (ex, ey)], fill=255, width=max(1, round(0.2 * mm)))
        r = 0.8 * mm
        draw.ellipse([px - r, py - r, px + r, py + r], fill=255)


def _signature(op: SignatureOp, rng: np.random.Generator, dpi: int) -> Overlay:
    """A hand signature: a tall initial, a looping or zigzag body, often an underline flourish.

    Three stroke styles and a random slant keep signatures from looking stamped out.
    """
    x0, y0, x1, y1 = op.box
    mm = dpi / 25.4
    w = int(min(x1 - x0, 55 * mm))
    h = int(max(8 * mm, y1 - y0))
    img = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(img)
    width = max(2, round(rng.uniform(0.3, 0.6) * mm))
    style = int(rng.integers(3))
    t = np.linspace(0, 1, 260)
    amp = h * rng.uniform(0.15, 0.28)
    if style == 0:  # loops
        loops = rng.uniform(3, 7)
        xs = w * (0.15 + 0.65 * t) + amp * 0.5 * np.cos(2 * math.pi * loops * t)
        ys = h * 0.5 + amp * np.sin(2 * math.pi * loops * t + rng.uniform(0, 3)) * (1.2 - t)
    elif style == 1:  # zigzag
        teeth = rng.uniform(4, 9)
        saw = 2 * np.abs((teeth * t) % 1.0 - 0.5)
        xs = w * (0.15 + 0.7 * t)
        ys = h * 0.5 + amp * (saw - 0.5) * 2 * (1.1 - 0.6 * t)
    else:  # a wide, slowly modulated wave
        xs = w * (0.15 + 0.7 * t)
        ys = h * 0.5 + amp * np.sin(2 * math.pi * rng.uniform(1.5, 3) * t) * np.cos(
            2 * math.pi * rng.uniform(4, 8) * t
        )
    ys += (t - 0.5) * h * rng.uniform(-0.35, 0.2)
    slant = rng.uniform(-0.5, 0.1)
    xs = xs + (ys - h * 0.5) * slant
    # tall initial stroke before the body
    it = np.linspace(0, 2 * math.pi, 60)
    ix = w * 0.12 + amp * 0.35 * np.sin(it) + (np.cos(it) * amp * 1.3) * slant
    iy = h * 0.5 - amp * 1.3 * np.cos(it) * 0.9
    pts = list(zip(ix.tolist(), iy.tolist(), strict=True))
    pts += list(zip(xs.tolist(), ys.tolist(), strict=True))
    d.line(pts, fill=230, width=width, joint="curve")
    if rng.random() < 0.7:
        fx = np.linspace(w * rng.uniform(0.05, 0.3), w * rng.uniform(0.8, 0.97), 40)
        fy = h * rng.uniform(0.65, 0.85) + np.sin(np.linspace(0, math.pi, 40)) * h * rng.uniform(
            -0.15, 0.1
        )
        d.line(
            list(zip(fx.tolist(), fy.tolist(), strict=True)), fill=215, width=width, joint="curve"
        )
    ink = (25, 40, 150) if rng.random() < 0.7 else (30, 30, 45)
    ox = int((x0 + x1) / 2 - w / 2 + rng.uniform(-0.1, 0.1) * w)
    return Overlay(ox, int(y0), np.asarray(img), ink)


def _seal(
    seal: tuple[float, float, float],
    fonts: FontBook,
    rng: np.random.Generator,
    text: tuple[str, str],
) -> Overlay:
    """A round red seal (con dấu): two rings, text around, star in the middle.

    Pressed unevenly: the ink density varies across the seal and has speckled gaps.
    """
    cx, cy, r = seal
    size = int(2 * r + 8)
    c = size / 2
    img = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(img)
    ring = max(3, round(r * 0.05))
    d.ellipse([c - r, c - r, c + r, c + r], outline=255, width=ring)
    ri = r * 0.72
    d.ellipse([c - ri, c - ri, c + ri, c + ri], outline=255, width=max(2, ring // 2))
    # ring text, clockwise, starting lower left
    ring_text, centre_text = text
    fsize = max(8, round(r * 0.15))
    font = fonts.get(True, False, fsize)
    rt = (r + ri) / 2
    chars = list(ring_text + " * ")
    span = 2 * math.pi * 0.94
    step = span / max(1, len(chars))
    start = math.pi / 2 + math.pi * 0.03 + step / 2  # radians, measured clockwise from +x
    for i, ch in enumerate(chars):
        if ch == " ":
            continue
        a = start + i * step
        tile = Image.new("L", (fsize * 2, fsize * 2), 0)
        ImageDraw.Draw(tile).text((fsize, fsize), ch, font=font, fill=255, anchor="mm")
        # glyph's up must point away from the centre
        deg = -math.degrees(a) - 90
        tile = tile.rotate(deg, resample=Image.Resampling.BILINEAR)
        px = c + rt * math.cos(a) - fsize
        py = c + rt * math.sin(a) - fsize
        img.paste(255, (round(px), round(py)), tile)
    # star
    star = []
    for k in range(10):
        rad = r * (0.22 if k % 2 == 0 else 0.09)
        ang = -math.pi / 2 + k * math.pi / 5
        star.append((c + rad * math.cos(ang), c - r * 0.12 + rad * math.sin(ang)))
    d.polygon(star, fill=255)
    if centre_text:
        cfont = fonts.get(True, False, max(8, round(r * 0.13)))
        d.text((c, c + r * 0.32), centre_text, font=cfont, fill=255, anchor="mm")
    alpha = np.asarray(img).astype(np.float32) / 255.0
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    g = rng.uniform(-1, 1, 2)
    pressure = 0.8 + 0.2 * ((xx - c) * g[0] + (yy - c) * g[1]) / size
    speckle = (rng.random((size, size), dtype=np.float32) > 0.1).astype(np.float32)
    speckle = 0.55 + 0.45 * speckle
    out = np.clip(alpha * pressure * speckle * 255 * rng.uniform(0.75, 0.95), 0, 255)
    rgb = (int(rng.integers(190, 225)), int(rng.integers(20, 50)), int(rng.integers(35, 65)))
    angle = float(rng.uniform(-30, 30))
    rotated = Image.fromarray(out.astype(np.uint8)).rotate(angle, Image.Resampling.BILINEAR)
    return Overlay(int(cx - c), int(cy - c), np.asarray(rotated), rgb)
