"""Writing scans in the formats scanners produce, with the resolution recorded in the file.

TIFF (multi-page; Group 4 for 1-bit, LZW, or JPEG-in-TIFF), JPEG, PNG, and image-only PDF
whose page size is the image size at its dpi (so an A4 scan gives an A4 page).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PIL import Image

FORMATS = ("tiff-g4", "tiff-lzw", "tiff-jpeg", "jpeg", "png", "pdf")
EXTENSIONS = {
    "tiff-g4": ".tif",
    "tiff-lzw": ".tif",
    "tiff-jpeg": ".tif",
    "jpeg": ".jpg",
    "png": ".png",
    "pdf": ".pdf",
}
MULTI_PAGE = frozenset({"tiff-g4", "tiff-lzw", "tiff-jpeg", "pdf"})


def allowed_formats(colour: str, pages: int) -> tuple[str, ...]:
    """Formats a scanner would write for this colour mode and page count.

    Group 4 is 1-bit only; JPEG (and JPEG-in-TIFF) needs grey or colour; JPEG and PNG hold
    one page.
    """
    out = []
    for f in FORMATS:
        if f == "tiff-g4" and colour != "bw":
            continue
        if f in ("tiff-jpeg", "jpeg") and colour == "bw":
            continue
        if pages > 1 and f not in MULTI_PAGE:
            continue
        out.append(f)
    return tuple(out)


def write_scan(
    images: list[Image.Image], path: Path, fmt: str, dpi: int, quality: int, created: dt.datetime
) -> None:
    """Write ``images`` (one per page) to ``path`` in ``fmt``.

    ``created`` fixes the PDF dates so the same seed gives the same bytes.
    """
    first, rest = images[0], images[1:]
    res = (dpi, dpi)
    if fmt.startswith("tiff"):
        compression = {"tiff-g4": "group4", "tiff-lzw": "tiff_lzw", "tiff-jpeg": "jpeg"}[fmt]
        kwargs: dict[str, object] = {"compression": compression, "dpi": res}
        if fmt == "tiff-jpeg":
            kwargs["quality"] = quality
        first.save(path, format="TIFF", save_all=bool(rest), append_images=rest, **kwargs)
    elif fmt == "jpeg":
        if rest:
            raise ValueError("JPEG holds one page")
        first.save(path, format="JPEG", quality=quality, dpi=res)
    elif fmt == "png":
        if rest:
            raise ValueError("PNG holds one page")
        first.save(path, format="PNG", dpi=res, compress_level=3)
    elif fmt == "pdf":
        # 1-bit pages go in as CCITT G4 (through Pillow's TIFF encoder, which rejects a
        # quality setting); grey and colour pages as JPEG at ``quality``.
        extra: dict[str, object] = {} if first.mode == "1" else {"quality": quality}
        first.save(
            path,
            format="PDF",
            save_all=bool(rest),
            append_images=rest,
            resolution=float(dpi),
            **extra,
            title="Scan",
            creationDate=created.utctimetuple(),
            modDate=created.utctimetuple(),
            producer="scanner",
        )
    else:
        raise ValueError(f"unknown format {fmt}")
