"""Paper, ink blending and scanner degradations (DOMAIN.md, "How scanning really happens").

Everything works on numpy arrays with OpenCV primitives so a 300 dpi A4 page stays within a
few hundred milliseconds. Randomness comes only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import cv2
import numpy as np
from PIL import Image

from samples.render import RenderedPage


@dataclass(frozen=True, slots=True)
class Degradation:
    """Image-only choices for one page (nothing here changes the ground truth text)."""

    noise_sigma: float
    blur_sigma: float
    jpeg_quality: int | None  # re-encode through JPEG at this quality (artefacts), or None
    stains: int
    fold: bool
    bed_dark: bool
    ink_level: int  # darkness of the print, 0 = black
    bw_threshold_shift: int


def _smooth_field(h: int, w: int, rng: np.random.Generator, cells: int, amp: float) -> np.ndarray:
    """Low-frequency variation: a small random grid upscaled smoothly (cheap at any size)."""
    gh = max(2, cells)
    gw = max(2, round(cells * w / h))
    grid = rng.normal(0.0, amp, (gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def make_paper(
    h: int, w: int, kind: str, rng: np.random.Generator, stains: int, fold: bool
) -> np.ndarray:
    """RGB paper: white office paper, the pink certificate stock, or yellowed archive paper.

    Paper tone, stains and browned edges are low-frequency, so they are computed at a quarter
    of the resolution and scaled up (this keeps a 300 dpi page fast); the fold line is drawn
    at full resolution because it is sharp.
    """
    q = 4
    sh, sw = max(8, h // q), max(8, w // q)
    if kind == "archival":
        base = np.array([rng.uniform(230, 242), rng.uniform(218, 230), rng.uniform(182, 204)])
        var = 7.0
    elif kind == "pink":
        base = np.array([rng.uniform(246, 252), rng.uniform(228, 236), rng.uniform(222, 232)])
        var = 3.0
    else:
        base = np.full(3, rng.uniform(244, 253))
        var = 2.5
    light = _smooth_field(sh, sw, rng, 4, var)
    small = np.empty((sh, sw, 3), dtype=np.float32)
    for ch in range(3):
        small[:, :, ch] = base[ch] + light
    if kind == "archival":
        # edges browned by age
        yy = np.abs(np.linspace(-1, 1, sh, dtype=np.float32))[:, None]
        xx = np.abs(np.linspace(-1, 1, sw, dtype=np.float32))[None, :]
        edge = np.clip(np.maximum(yy, xx) - 0.85, 0, None) * 110
        small -= edge[:, :, None] * np.array([0.5, 0.8, 1.2], dtype=np.float32)
    for _ in range(stains):
        _stain(small, rng)
    small_u8 = np.clip(small, 0, 255).astype(np.uint8)
    paper: np.ndarray = cv2.resize(small_u8, (w, h), interpolation=cv2.INTER_LINEAR)
    if fold:
        _fold(paper, rng)
    return paper


def _stain(paper: np.ndarray, rng: np.random.Generator) -> None:
    """A water or tea stain: a soft brownish blob with a darker tide line."""
    h, w = paper.shape[:2]
    r = int(rng.uniform(0.03, 0.12) * w)
    cx, cy = int(rng.uniform(0, w)), int(rng.uniform(0, h))
    x0, y0, x1, y1 = max(0, cx - 2 * r), max(0, cy - 2 * r), min(w, cx + 2 * r), min(h, cy + 2 * r)
    if x1 <= x0 or y1 <= y0 or r < 2:
        return
    mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    axes = (r, int(r * rng.uniform(0.5, 1.0)))
    angle = float(rng.uniform(0, 180))
    cv2.ellipse(mask, (cx - x0, cy - y0), axes, angle, 0, 360, 255, -1)
    ring = np.zeros_like(mask)
    cv2.ellipse(ring, (cx - x0, cy - y0), axes, angle, 0, 360, 255, max(1, r // 20))
    soft = cv2.GaussianBlur(mask, (0, 0), r / 6).astype(np.float32) / 255.0
    tide = cv2.GaussianBlur(ring, (0, 0), max(0.6, r / 40)).astype(np.float32) / 255.0
    strength = rng.uniform(8, 22)
    dark = soft * strength * 0.5 + tide * strength
    tint = np.array([0.7, 1.0, 1.6], dtype=np.float32)
    paper[y0:y1, x0:x1] -= dark[:, :, None] * tint


def _fold(paper: np.ndarray, rng: np.random.Generator) -> None:
    """A fold line across the page: a thin shadow beside a thin highlight."""
    h, w = paper.shape[:2]
    horizontal = rng.random() < 0.7
    pos = int((h if horizontal else w) * rng.choice([1 / 3, 1 / 2, 2 / 3]))
    pos += int(rng.normal(0, 10))
    for off, delta in ((-2, -16), (-1, -24), (0, -14), (1, 8), (2, 5)):
        p = pos + off
        sl = (
            paper[p, :, :]
            if horizontal and 0 <= p < h
            else (paper[:, p, :] if not horizontal and 0 <= p < w else None)
        )
        if sl is not None:
            sl[...] = np.clip(sl.astype(np.int16) + delta, 0, 255).astype(np.uint8)


def compose(page: RenderedPage, paper: np.ndarray, ink_level: int) -> np.ndarray:
    """Blend the print and the overlays onto the paper multiplicatively (ink absorbs light)."""
    lut = (255 - np.arange(256, dtype=np.float32) * (255 - ink_level) / 255).astype(np.uint8)
    layer = cv2.LUT(page.ink, lut)
    out: np.ndarray = cv2.multiply(paper, cv2.cvtColor(layer, cv2.COLOR_GRAY2RGB), scale=1 / 255)
    h, w = out.shape[:2]
    for ov in page.overlays:
        oh, ow = ov.alpha.shape
        x0, y0 = max(0, ov.x), max(0, ov.y)
        x1, y1 = min(w, ov.x + ow), min(h, ov.y + oh)
        if x1 <= x0 or y1 <= y0:
            continue
        a = ov.alpha[y0 - ov.y : y1 - ov.y, x0 - ov.x : x1 - ov.x].astype(np.float32) / 255.0
        colour = np.array(ov.rgb, dtype=np.float32) / 255.0
        factor = 1.0 - a[:, :, None] * (1.0 - colour)
        region = out[y0:y1, x0:x1].astype(np.float32) * factor
        out[y0:y1, x0:x1] = np.clip(region, 0, 255).astype(np.uint8)
    return out


def skew(img: np.ndarray, deg: float, bed: tuple[int, int, int]) -> np.ndarray:
    """Rotate by ``deg`` counter-clockwise (as ``PIL.Image.rotate``) onto a larger canvas.

    The canvas grows to hold the whole turned page, as a scanner bed shows a crooked sheet
    with the lid (white) or the ADF backing (dark) around it; no text is cut off.
    """
    if deg == 0:
        return img
    h, w = img.shape[:2]
    rad = np.deg2rad(abs(deg))
    nw = int(np.ceil(w * np.cos(rad) + h * np.sin(rad)))
    nh = int(np.ceil(h * np.cos(rad) + w * np.sin(rad)))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    m[0, 2] += (nw - w) / 2
    m[1, 2] += (nh - h) / 2
    out: np.ndarray = cv2.warpAffine(
        img, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=bed
    )
    return out


def rotate_quarter(img: np.ndarray, clockwise_deg: int) -> np.ndarray:
    """Turn the page ``clockwise_deg`` (0/90/180/270) clockwise, as it lay on the scanner."""
    if clockwise_deg == 0:
        return img
    code = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[
        clockwise_deg
    ]
    out: np.ndarray = cv2.rotate(img, code)
    return out


def _gaussian_noise_u8(h: int, w: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian luminance noise offset by 128, as uint8.

    Random bytes mapped through the inverse normal CDF (a 256-entry table) give gaussian
    noise several times faster than ``standard_normal`` on ten million pixels.
    """
    inv = NormalDist().inv_cdf
    lut = np.array([128 + sigma * inv((i + 0.5) / 256) for i in range(256)])
    lut8 = np.clip(np.rint(lut), 0, 255).astype(np.uint8)
    raw = np.frombuffer(rng.bytes(h * w), dtype=np.uint8).reshape(h, w)
    out: np.ndarray = cv2.LUT(raw, lut8)
    return out


def sensor(img: np.ndarray, d: Degradation, rng: np.random.Generator) -> np.ndarray:
    """Optics and sensor: slight blur, gaussian noise, then lossy re-encoding artefacts."""
    if d.blur_sigma > 0:
        img = cv2.GaussianBlur(img, (0, 0), d.blur_sigma)
    if d.noise_sigma > 0:
        n8 = _gaussian_noise_u8(img.shape[0], img.shape[1], d.noise_sigma, rng)
        if img.ndim == 3:
            n8 = cv2.merge([n8, n8, n8])
        img = cv2.addWeighted(img, 1.0, n8, 1.0, -128.0)
    if d.jpeg_quality is not None:
        bgr = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, d.jpeg_quality])
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            img = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    return img


def to_mode(img: np.ndarray, colour: str, threshold_shift: int) -> Image.Image:
    """Colour as scanned: RGB, 8-bit grey, or real 1-bit black and white (thresholded)."""
    if colour == "colour":
        return Image.fromarray(img, "RGB")
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if colour == "grey":
        return Image.fromarray(grey, "L")
    t, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t = float(np.clip(t + threshold_shift, 90, 200))
    return Image.fromarray(grey > t)
