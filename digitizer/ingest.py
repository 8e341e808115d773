"""Read one input file (TIFF, JPEG, PNG or scanned PDF) as a list of page images.

Why this is careful: scanners and capture software write odd files (CMYK JPEGs, palette
PNGs with alpha, TIFFs without a resolution tag, PDFs with JBIG2/CCITT/JPX images or a
``/Rotate``), and hostile ones (a 35,000 x 35,000 image, a PDF that wants a password). Every
page is checked against a pixel budget *before* it is decoded, so memory stays bounded, and
every failure becomes one :class:`~digitizer.errors.InputFileError` line.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pikepdf
from pdf2image import convert_from_path
from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError
from PIL import Image, UnidentifiedImageError

from digitizer.digest import sha256_of
from digitizer.errors import EncryptedInputError, InputFileError, OversizedInputError
from digitizer.stackfile import is_manifest, read_manifest

log = logging.getLogger(__name__)

ColourMode = Literal["colour", "grey", "bw"]
FileKind = Literal["pdf", "tiff", "jpeg", "png", "stack"]

# Resolutions outside this range in a file's header are treated as "not set" (JFIF aspect
# ratios of 1x1, bogus 72 dpi defaults are kept: 72 is a real, if poor, resolution).
_MIN_PLAUSIBLE_DPI = 50.0
_MAX_PLAUSIBLE_DPI = 1200.0
_PDF_RASTER_TIMEOUT_S = 300


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Bounds that keep hostile input from eating the machine."""

    default_dpi: float = 300.0
    max_page_pixels: int = 80_000_000  # an A2 page at 300 dpi; a 35k x 35k bomb is 1.2 G
    max_pages: int = 500
    min_pdf_dpi: float = 150.0
    max_pdf_dpi: float = 600.0


@dataclass(slots=True)
class ScanPage:
    """A decoded page: ``image`` is RGB, L or 1; ``source_mode`` what the scan was."""

    image: Image.Image
    dpi: float
    source_mode: ColourMode


def sniff_kind(path: Path) -> FileKind:
    """Identify the file by its magic bytes, not its name (names lie)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise InputFileError(f"cannot read file: {exc.strerror or exc}") from exc
    if not head:
        raise InputFileError("empty file (0 bytes)")
    if b"%PDF-" in head:
        return "pdf"
    if is_manifest(head):
        return "stack"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    raise InputFileError(
        f"not a scan: {path.suffix or 'no extension'} file whose content is neither "
        "TIFF, JPEG, PNG nor PDF"
    )


def iter_pages(
    path: Path, limits: IngestLimits, *, stacks_dir: Path | None = None
) -> Iterator[ScanPage]:
    """Decode the pages of ``path`` one at a time (memory holds one page, not the file).

    One input file is one document. The file's kind is checked before the first page. A
    stack manifest (:mod:`digitizer.stackfile`) is read only from ``stacks_dir``.
    """
    kind = sniff_kind(path)
    if kind == "stack":
        yield from _iter_stack(path, limits, stacks_dir)
        return
    count = 0
    for page in _iter_pdf(path, limits) if kind == "pdf" else _iter_image(path, limits):
        count += 1
        yield page
    if not count:
        raise InputFileError("the file has no pages")


def _iter_stack(path: Path, limits: IngestLimits, stacks_dir: Path | None) -> Iterator[ScanPage]:
    if stacks_dir is None or path.resolve().parent != stacks_dir.resolve():
        raise InputFileError("a stack manifest is only read from the run's own stacks folder")
    manifest = read_manifest(path)
    count = 0
    for page in manifest.pages:
        try:
            changed = sha256_of(page.path) != page.sha256
        except OSError as exc:
            raise InputFileError(f"page file {page.path.name}: {exc.strerror or exc}") from exc
        if changed:
            raise InputFileError(f"page file {page.path.name} changed after the stack was cut")
        if sniff_kind(page.path) == "stack":
            raise InputFileError(f"page file {page.path.name} is itself a stack manifest")
        for scan in iter_pages(page.path, limits):
            count += 1
            if count > limits.max_pages:
                raise OversizedInputError(f"more than the limit of {limits.max_pages} pages")
            yield scan


def read_pages(
    path: Path, limits: IngestLimits, *, stacks_dir: Path | None = None
) -> list[ScanPage]:
    """Decode every page of ``path`` at once (small files, tests, benchmarks)."""
    return list(iter_pages(path, limits, stacks_dir=stacks_dir))


# --------------------------------------------------------------------------- images


def _iter_image(path: Path, limits: IngestLimits) -> Iterator[ScanPage]:
    try:
        img = Image.open(path)
    except UnidentifiedImageError as exc:
        raise InputFileError("corrupt image: the decoder does not recognise it") from exc
    except Image.DecompressionBombError as exc:
        raise OversizedInputError(f"image too large to decode safely: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputFileError(f"corrupt image: {exc}") from exc
    with img:
        n_frames = int(getattr(img, "n_frames", 1))
        if n_frames > limits.max_pages:
            raise OversizedInputError(
                f"{n_frames} pages is more than the limit of {limits.max_pages}"
            )
        for index in range(n_frames):
            try:
                img.seek(index)
                check_page_pixels(img.width, img.height, limits, index)
                dpi_x, dpi_y = _image_dpi(img, limits.default_dpi)
                img.load()
                page = _normalise_mode(img.copy())
            except (OversizedInputError, InputFileError):
                raise
            except Image.DecompressionBombError as exc:
                raise OversizedInputError(f"page {index + 1}: {exc}") from exc
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise InputFileError(
                    f"corrupt or truncated image, page {index + 1}: {exc}"
                ) from exc
            yield _equalise_dpi(page, dpi_x, dpi_y, limits)


def check_page_pixels(width: int, height: int, limits: IngestLimits, index: int) -> None:
    """Refuse a page from its header size: no pixels, or more than the profile allows
    (the pipeline before decoding, and the hot folder before it hands a file on)."""
    if width <= 0 or height <= 0:
        raise InputFileError(f"page {index + 1} has no pixels ({width}x{height})")
    if width * height > limits.max_page_pixels:
        raise OversizedInputError(
            f"page {index + 1} is {width}x{height} pixels, over the limit of "
            f"{limits.max_page_pixels:,} (decompression bomb or wrong scan setting)"
        )


def _image_dpi(img: Image.Image, default: float) -> tuple[float, float]:
    """Resolution from the file; the profile's default where there is none."""
    raw = img.info.get("dpi")
    if not raw:
        return default, default
    try:
        dx, dy = float(raw[0]), float(raw[1])
    except (TypeError, ValueError, IndexError):
        return default, default
    if not (_MIN_PLAUSIBLE_DPI <= dx <= _MAX_PLAUSIBLE_DPI):
        return default, default
    if not (_MIN_PLAUSIBLE_DPI <= dy <= _MAX_PLAUSIBLE_DPI):
        dy = dx
    return dx, dy


def _normalise_mode(img: Image.Image) -> Image.Image:
    """Bring any Pillow mode to RGB, L or 1 (what the rest of the pipeline knows)."""
    if img.mode in ("RGB", "L", "1"):
        return img
    if img.mode in ("P", "PA"):
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "RGBa", "La"):
        background = Image.new("RGBA" if img.mode.startswith("RGB") else "LA", img.size, "white")
        flattened = Image.alpha_composite(background.convert("RGBA"), img.convert("RGBA"))
        return flattened.convert("RGB" if img.mode.startswith("RGB") else "L")
    if img.mode == "CMYK":
        return img.convert("RGB")
    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        # 16-bit or float grey: scale the range actually used to 8 bits
        arr = np.asarray(img, dtype=np.float64)
        low, high = float(arr.min()), float(arr.max())
        span = high - low if high > low else 1.0
        return Image.fromarray(((arr - low) * (255.0 / span)).astype(np.uint8), mode="L")
    return img.convert("RGB")


def _equalise_dpi(img: Image.Image, dpi_x: float, dpi_y: float, limits: IngestLimits) -> ScanPage:
    """Resample a page whose horizontal and vertical resolutions differ to a square grid."""
    mode = colour_mode(img)
    if abs(dpi_x - dpi_y) < 0.5:
        return ScanPage(img, dpi_x, mode)
    dpi = max(dpi_x, dpi_y)
    size = (round(img.width * dpi / dpi_x), round(img.height * dpi / dpi_y))
    check_page_pixels(size[0], size[1], limits, 0)
    work = img.convert("L") if img.mode == "1" else img
    resized = work.resize(size, Image.Resampling.BICUBIC)
    if img.mode == "1":
        resized = resized.point(lambda v: 255 if v >= 128 else 0).convert("1")
    return ScanPage(resized, dpi, mode)


def colour_mode(img: Image.Image) -> ColourMode:
    """What a page image is, by its Pillow mode: "1" is bw, "L" grey, anything else colour."""
    return {"1": "bw", "L": "grey"}.get(img.mode, "colour")  # type: ignore[return-value]


# --------------------------------------------------------------------------- PDF


def _iter_pdf(path: Path, limits: IngestLimits) -> Iterator[ScanPage]:
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise EncryptedInputError(
            "the PDF is password-protected; save it without a password"
        ) from exc
    except pikepdf.PdfError as exc:
        raise InputFileError(f"corrupt PDF: {_first_line(str(exc))}") from exc
    with pdf:
        if pdf.is_encrypted and not pdf.allow.extract:
            log.debug("PDF is encrypted with an empty user password; reading it anyway")
        n_pages = len(pdf.pages)
        if n_pages == 0:
            raise InputFileError("the PDF has no pages")
        if n_pages > limits.max_pages:
            raise OversizedInputError(
                f"{n_pages} pages is more than the limit of {limits.max_pages}"
            )
        plans = [_plan_pdf_page(page, limits, i) for i, page in enumerate(pdf.pages)]
    for index, (dpi, mode) in enumerate(plans):
        yield _rasterize_pdf_page(path, index, dpi, mode)


def _plan_pdf_page(
    page: pikepdf.Page, limits: IngestLimits, index: int
) -> tuple[float, ColourMode]:
    """Pick the rendering dpi (the embedded scan's own) and colour mode of one PDF page."""
    try:
        box = page.mediabox
        width_in = abs(float(box[2]) - float(box[0])) / 72.0
        height_in = abs(float(box[3]) - float(box[1])) / 72.0
    except (KeyError, ValueError, TypeError, pikepdf.PdfError) as exc:
        raise InputFileError(f"corrupt PDF page {index + 1}: no usable page size") from exc
    if width_in <= 0 or height_in <= 0:
        raise InputFileError(f"corrupt PDF page {index + 1}: empty page box")
    best_px = 0
    dpi = limits.default_dpi
    mode: ColourMode = "colour"
    found = False
    try:
        images = list(page.get_images().values())
    except (pikepdf.PdfError, KeyError, ValueError):
        images = []
    for raw in images:
        try:
            w, h = int(raw.get("/Width", 0)), int(raw.get("/Height", 0))
        except (TypeError, ValueError):
            continue
        if w * h <= best_px:
            continue
        best_px = w * h
        found = True
        long_px, short_px = max(w, h), min(w, h)
        long_in, short_in = max(width_in, height_in), min(width_in, height_in)
        dpi = max(long_px / long_in, short_px / short_in)
        mode = _pdf_image_mode(raw)
    if not found:
        mode = "colour"
    dpi = min(max(dpi, limits.min_pdf_dpi), limits.max_pdf_dpi)
    # Never render more pixels than the budget: a huge page with a small image on it.
    budget_dpi = math.sqrt(limits.max_page_pixels / (width_in * height_in))
    if budget_dpi < limits.min_pdf_dpi / 2:
        raise OversizedInputError(
            f"page {index + 1} is {width_in:.0f}x{height_in:.0f} inches, too large to render"
        )
    return min(dpi, budget_dpi), mode


def _pdf_image_mode(raw: pikepdf.Object) -> ColourMode:
    try:
        if bool(raw.get("/ImageMask", False)) or int(raw.get("/BitsPerComponent", 8)) == 1:
            return "bw"
        filters = raw.get("/Filter")
        names = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)]
        if "/CCITTFaxDecode" in names or "/JBIG2Decode" in names:
            return "bw"
        cs = raw.get("/ColorSpace")
        if cs is not None and str(cs) == "/DeviceGray":
            return "grey"
    except (TypeError, ValueError, pikepdf.PdfError):
        pass
    return "colour"


def _rasterize_pdf_page(path: Path, index: int, dpi: float, mode: ColourMode) -> ScanPage:
    try:
        images = convert_from_path(
            path,
            dpi=round(dpi),
            first_page=index + 1,
            last_page=index + 1,
            grayscale=mode != "colour",
            timeout=_PDF_RASTER_TIMEOUT_S,
        )
    except (PDFPageCountError, PDFSyntaxError) as exc:
        raise InputFileError(f"corrupt PDF: {_first_line(str(exc))}") from exc
    except Exception as exc:  # pdf2image raises bare exceptions for poppler failures
        raise InputFileError(
            f"cannot render PDF page {index + 1}: {_first_line(str(exc))}"
        ) from exc
    if not images:
        raise InputFileError(f"cannot render PDF page {index + 1}")
    img = images[0]
    if mode == "bw":
        img = img.convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1")
    elif mode == "grey":
        img = img.convert("L")
    else:
        img = img.convert("RGB")
    return ScanPage(img, float(round(dpi)), mode)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return line[:200]
