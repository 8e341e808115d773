"""Decode every QR code and barcode on a page image.

Why this exists: a dossier receipt carries its dossier code (``000.12.24.H07-230315-0001``) as
a QR, land certificates from 2024 carry a QR, and separator sheets carry a barcode or a QR.
The value in the code is exact where OCR of the printed text is not, so the pipeline reads it
on every page, upright or not (it may run before deskew).

Why zxing-cpp and not pyzbar (``benchmarks/bench_barcodes.py``, 240 pages with a code made
from the generated samples, 67 without): zxing-cpp decoded 231/240 with no false value; zbar
205/240, and it guesses the charset of a QR without an ECI marker, so it read some UTF-8
Vietnamese as Shift-JIS (6 of 45 values wrong), reported an Interleaved-2-of-5 code in body
text, read fewer dense QRs (35/45 against 45/45) and cost 13-30x more CPU per page. zxing-cpp
can also tell "a symbol is there but did not decode", which drives the retries below; zbar
cannot.

Why not one library call on the full page: that costs about 300 ms (up to 800 ms) on a
300 dpi A4 page, most of it on pages that carry no code at all. Here about 30 ms (50 ms at
most), measured in CPU time:

* QR codes are looked for on a copy reduced toward 150 dpi (a 0.5 mm module is 3 px there);
  the full resolution is read only when zxing found finder patterns but decoded nothing
  (dense or blurred QRs), and then the darkest ink alone (a seal over the QR in a grey scan).
* 1-D barcodes are read at up to 300 dpi (0.33 mm bars need 3 px), along rows and columns.

Why the red channel for colour pages: red seals (con dấu) are stamped over signatures and
sometimes over the QR; in the red channel the seal is nearly as bright as the paper while
black print stays dark, so the QR's modules under the seal survive (:mod:`digitizer.geometry`
reads colour pages the same way).
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata

import cv2
import numpy as np
import zxingcpp
from numpy.typing import NDArray
from PIL import Image

log = logging.getLogger(__name__)

# QR codes are first looked for on a copy reduced toward this resolution: a QR module of
# 0.5 mm is still 3 px there, and the QR detector costs a fifth of what it costs at 300 dpi.
_MATRIX_DPI = 150.0
# 1-D codes need their narrow bars (0.25-0.33 mm on separator sheets) at 3 px or more, and the
# 1-D readers are cheap (they scan rows and columns), so they run at up to 300 dpi.
_LINEAR_DPI = 300.0
# A page whose dpi is unknown or absurd is taken to be A4 (the long side in inches).
_A4_LONG_SIDE_IN = 11.69
_MIN_DPI, _MAX_DPI = 50.0, 1200.0
# A symbol seen but not decoded is looked at again inside its box grown by this fraction.
_RETRY_MARGIN = 0.5

# What the offices' documents carry: QR (receipts, land certificates 2024+, separator
# sheets) and the 1-D symbologies of separator sheets and postal labels. DataMatrix, PDF417
# and Aztec are left out on purpose: with them a page costs 2-3x more, and none of these
# documents uses them. DX film edge and Telepen (in zxing's "AllLinear") invite false hits.
_MATRIX_FORMATS = zxingcpp.barcode_formats_from_str("QRCode,MicroQRCode")
_LINEAR_FORMATS = zxingcpp.barcode_formats_from_str(
    "Code128,Code39,Code93,Codabar,ITF,EANUPC,DataBar"
)

# zxing-cpp's format names -> the names the pipeline uses (ZXing's own, upper snake case).
_KIND_NAMES = {
    "QRCode": "QR_CODE",
    "QRCodeModel1": "QR_CODE",
    "QRCodeModel2": "QR_CODE",
    "MicroQRCode": "MICRO_QR_CODE",
    "RMQRCode": "RMQR_CODE",
    "Code39": "CODE_39",
    "Code39Std": "CODE_39",
    "Code39Ext": "CODE_39",
    "Code93": "CODE_93",
    "Code128": "CODE_128",
    "Codabar": "CODABAR",
    "ITF": "ITF",
    "ITF14": "ITF",
    "EAN13": "EAN_13",
    "EAN8": "EAN_8",
    "UPCA": "UPC_A",
    "UPCE": "UPC_E",
    "ISBN": "EAN_13",
    "DataMatrix": "DATA_MATRIX",
    "PDF417": "PDF_417",
    "Aztec": "AZTEC",
}

GreyImage = NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class DecodedCode:
    """One decoded symbol: its kind (``QR_CODE``, ``CODE_128`` …), its text (NFC) and its
    bounding box in the pixel coordinates of the image given to :func:`decode_codes`.

    For 1-D barcodes the box spans the scan lines that decoded, which may be only a few
    pixels high; it still locates the code on the page.
    """

    kind: str
    value: str
    left: int
    top: int
    width: int
    height: int


def library_version() -> str:
    """The decoding library and its version, for run records and bug reports."""
    try:
        return f"zxing-cpp {metadata.version('zxing-cpp')}"
    except metadata.PackageNotFoundError:  # installed some other way (a Debian package)
        return f"zxing-cpp {getattr(zxingcpp, '__version__', 'unknown')}"


def decode_codes(image: Image.Image | NDArray[np.generic], dpi: float) -> list[DecodedCode]:
    """Decode every QR code and barcode on a page, in any orientation.

    ``image`` is a PIL image (any mode) or a numpy array (2-D grey, or H x W x 3/4 RGB(A)),
    ``dpi`` its resolution. Returns ``[]`` for a page without a code; a failure inside the
    decoder is logged and treated as "no code", so this never raises for a page's content.
    Codes come in reading order (top to bottom, then left to right).
    """
    grey = _grey_array(image)
    height, width = grey.shape
    if height < 8 or width < 8:
        return []
    dpi = _plausible_dpi(dpi, width, height)
    codes = _matrix_codes(grey, dpi) + _linear_codes(grey, dpi)
    return _clip(codes, width, height)


def _matrix_codes(grey: GreyImage, dpi: float) -> list[DecodedCode]:
    """QR codes: a fast pass on a copy reduced toward 150 dpi; full resolution, then the dark
    ink alone, only for a symbol that zxing saw (finder patterns found) but could not decode."""
    small = _reduced(grey, dpi, _MATRIX_DPI)
    found, missed = _read(small, grey.shape, _MATRIX_FORMATS, rotate=False)
    if missed and small is not grey:
        log.debug(
            "%d QR-like symbol(s) not decoded at %.0f dpi: retrying at %.0f dpi",
            len(missed),
            dpi * small.shape[0] / grey.shape[0],
            dpi,
        )
        again, missed = _read(grey, grey.shape, _MATRIX_FORMATS, rotate=False)
        found = _merge(found, again)
    for box in missed:
        if not any(_boxes_overlap(box, c) for c in found):  # one symbol, several reports
            found = _merge(found, _dark_ink_retry(grey, box))
    return found


def _linear_codes(grey: GreyImage, dpi: float) -> list[DecodedCode]:
    """1-D barcodes along the rows, then along the columns (a sideways page), at <= 300 dpi.

    The columns are read from a transposed copy rather than with zxing's ``try_rotate``: it
    finds the same codes (the 1-D readers read bars in both directions), and walking a
    contiguous copy costs a third of what zxing's rotated pass does at 300 dpi (measured:
    about 10 ms instead of 22 ms on an A4 page).
    """
    work = _reduced(grey, dpi, _LINEAR_DPI)
    rows, _ = _read(work, grey.shape, _LINEAR_FORMATS, rotate=False)
    flipped = np.asarray(cv2.transpose(work), dtype=np.uint8)
    cols, _ = _read(flipped, (grey.shape[1], grey.shape[0]), _LINEAR_FORMATS, rotate=False)
    unflipped = [DecodedCode(c.kind, c.value, c.top, c.left, c.height, c.width) for c in cols]
    return _merge(rows, unflipped)


def _dark_ink_retry(grey: GreyImage, box: tuple[int, int, int, int]) -> list[DecodedCode]:
    """Decode the symbol in ``box`` from its darkest ink only.

    A red seal over a QR scanned in grey (or colour converted to grey) is a mid grey, as dark
    as the modules for zxing's local binarizer. Printed black is darker: Otsu's threshold
    splits paper from ink, a second Otsu over the ink splits black print from seal (or pen,
    or stain), and the symbol is decoded from the black print alone.
    """
    left, top, width, height = box
    mx, my = round(width * _RETRY_MARGIN), round(height * _RETRY_MARGIN)
    x0, y0 = max(0, left - mx), max(0, top - my)
    x1, y1 = min(grey.shape[1], left + width + mx), min(grey.shape[0], top + height + my)
    crop = grey[y0:y1, x0:x1]
    if crop.size < 64:
        return []
    paper_t, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    ink = crop[crop <= paper_t]
    if ink.size < 64:
        return []
    print_t, _ = cv2.threshold(ink.reshape(1, -1), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    log.debug("decoding a %dx%d symbol from its darkest ink only (< %.0f)", width, height, print_t)
    black = np.where(crop <= print_t, 0, 255).astype(np.uint8)
    found, _ = _read(black, black.shape, _MATRIX_FORMATS, rotate=False)
    return [DecodedCode(c.kind, c.value, c.left + x0, c.top + y0, c.width, c.height) for c in found]


def _reduced(grey: GreyImage, dpi: float, target_dpi: float) -> GreyImage:
    """``grey`` shrunk by the whole factor that brings ``dpi`` nearest ``target_dpi`` from above
    (300 -> 150, 600 -> 150; 200 stays 200), or ``grey`` itself.

    Whole factors only: area-averaging by 2 or 4 is a few milliseconds on an A4 page, a
    fractional factor (200 -> 150) costs more than the decoding it would save (measured).
    """
    factor = max(1, int(dpi / target_dpi + 0.25))
    if factor == 1:
        return grey
    size = (max(1, grey.shape[1] // factor), max(1, grey.shape[0] // factor))
    return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _grey_array(image: Image.Image | NDArray[np.generic]) -> GreyImage:
    """One 8-bit grey plane: the red channel of colour input, so red seals fade out."""
    if isinstance(image, Image.Image):
        if image.mode in ("RGB", "RGBA", "RGBX"):
            return np.ascontiguousarray(np.asarray(image.getchannel("R")))
        if image.mode in ("P", "PA", "CMYK", "YCbCr", "LAB", "HSV"):
            return np.ascontiguousarray(np.asarray(image.convert("RGB").getchannel("R")))
        if image.mode != "L":
            image = image.convert("L")  # "1", "LA", 16-bit and float modes
        return np.ascontiguousarray(np.asarray(image))
    arr = np.asarray(image)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    if arr.dtype != np.uint8:
        raise TypeError(f"expected a uint8 (or bool) image array, got {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        arr = arr[:, :, 0]  # grey with a channel axis, or R of RGB(A)
    elif arr.ndim != 2:
        raise TypeError(f"expected a grey (H x W) or RGB (H x W x 3) array, got {arr.shape}")
    return np.ascontiguousarray(arr)


def _plausible_dpi(dpi: float, width: int, height: int) -> float:
    """``dpi`` itself, or an A4 guess when it is missing or absurd (a bad header)."""
    if math.isfinite(dpi) and _MIN_DPI <= dpi <= _MAX_DPI:
        return dpi
    guess = max(width, height) / _A4_LONG_SIDE_IN
    log.warning("implausible dpi %r for a %dx%d page: assuming %.0f", dpi, width, height, guess)
    return min(max(guess, _MIN_DPI), _MAX_DPI)


def _read(
    grey: GreyImage, full_shape: tuple[int, ...], formats: zxingcpp.BarcodeFormats, rotate: bool
) -> tuple[list[DecodedCode], list[tuple[int, int, int, int]]]:
    """Decode ``grey`` (possibly a scaled copy of a ``full_shape`` page).

    Returns the decoded codes and the boxes of symbols seen but not decoded (none that lie on
    a decoded code), both in the full page's pixel coordinates.
    """
    sx, sy = full_shape[1] / grey.shape[1], full_shape[0] / grey.shape[0]
    try:
        results = zxingcpp.read_barcodes(
            grey,
            formats=formats,
            try_rotate=rotate,
            try_downscale=False,  # the caller chooses the resolution
            try_invert=False,  # light-on-dark codes do not occur on these documents
            return_errors=True,
        )
    except Exception:  # the library's failure is "no code", never a failed page
        log.warning(
            "barcode decoder failed on a %dx%d image", grey.shape[1], grey.shape[0], exc_info=True
        )
        return [], []
    found: list[DecodedCode] = []
    missed: list[tuple[int, int, int, int]] = []
    for res in results:
        corners = (
            res.position.top_left,
            res.position.top_right,
            res.position.bottom_right,
            res.position.bottom_left,
        )
        left = math.floor(min(p.x for p in corners) * sx)
        top = math.floor(min(p.y for p in corners) * sy)
        right = math.ceil((max(p.x for p in corners) + 1) * sx)
        bottom = math.ceil((max(p.y for p in corners) + 1) * sy)
        if res.valid:
            found.append(
                DecodedCode(
                    kind=_kind_name(res.format.name),
                    value=unicodedata.normalize("NFC", res.text),
                    left=left,
                    top=top,
                    width=right - left,
                    height=bottom - top,
                )
            )
        else:
            missed.append((left, top, right - left, bottom - top))
    missed = [m for m in missed if not any(_boxes_overlap(m, c) for c in found)]
    return found, missed


def _boxes_overlap(box: tuple[int, int, int, int], code: DecodedCode) -> bool:
    left, top, width, height = box
    return (
        left < code.left + code.width
        and code.left < left + width
        and top < code.top + code.height
        and code.top < top + height
    )


def _kind_name(zxing_name: str) -> str:
    """``QRCode`` -> ``QR_CODE``; names not in the table are split at their capitals."""
    known = _KIND_NAMES.get(zxing_name)
    if known is not None:
        return known
    if zxing_name.startswith("DataBar"):
        return "DATABAR"
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", zxing_name).upper()


def _merge(first: Sequence[DecodedCode], second: Sequence[DecodedCode]) -> list[DecodedCode]:
    """``second`` plus what only ``first`` found (a symbol found in both is kept once, from
    ``second``: the full-resolution read, whose box is the more exact)."""
    merged = list(second)
    for code in first:
        if not any(_same_symbol(c, code) for c in second):
            merged.append(code)
    return merged


def _same_symbol(a: DecodedCode, b: DecodedCode) -> bool:
    """Same kind and value, and centres closer than the symbol's size (a 1-D code's box is
    only its decoding scan lines, which differ between resolutions, so no overlap test)."""
    if a.kind != b.kind or a.value != b.value:
        return False
    reach = max(a.width, a.height, b.width, b.height)
    dx = (a.left + a.width / 2) - (b.left + b.width / 2)
    dy = (a.top + a.height / 2) - (b.top + b.height / 2)
    return math.hypot(dx, dy) <= reach


def _clip(codes: Sequence[DecodedCode], width: int, height: int) -> list[DecodedCode]:
    """Boxes inside the image (scaled corners may land a pixel outside), in reading order."""
    out = []
    for c in codes:
        left, top = min(max(c.left, 0), width - 1), min(max(c.top, 0), height - 1)
        right = min(max(c.left + c.width, left + 1), width)
        bottom = min(max(c.top + c.height, top + 1), height)
        out.append(DecodedCode(c.kind, c.value, left, top, right - left, bottom - top))
    out.sort(key=lambda c: (c.top, c.left))
    return out
