"""The image a clerk decides on: the field's region of the signed PDF, with its label.

The crop comes from the archived, signed PDF (what the store vouches for), not from the
original scan, which may have been moved or may be sideways. A field's box is in pixels of
the stored upright page, whose PDF page is sized ``width*72/dpi`` points, so rendering the
page at the page's own dpi gives back the same pixel grid; ``pdftoppm -x -y -W -H`` renders
just the region. The margin is wider on the left, where the label usually is.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from digitizer.errors import MissingDependencyError
from digitizer.review.queue import PageSize

log = logging.getLogger(__name__)

_MARGIN_LEFT_IN = 1.6  # inches: room for the label in front of the value
_MARGIN_RIGHT_IN = 0.4
_MARGIN_Y_IN = 0.25
_OVERVIEW_DPI = 60.0  # a whole page, for a field that was not read at all
_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle of a page in its pixels (clipped to the page)."""

    left: int
    top: int
    width: int
    height: int


def region_with_margin(box: tuple[int, int, int, int], page: PageSize) -> Region:
    """The field's box grown by the margins, kept inside the page."""
    left, top, width, height = box
    x0 = max(0, int(left - _MARGIN_LEFT_IN * page.dpi))
    y0 = max(0, int(top - _MARGIN_Y_IN * page.dpi))
    x1 = min(page.width, int(left + width + _MARGIN_RIGHT_IN * page.dpi))
    y1 = min(page.height, int(top + height + _MARGIN_Y_IN * page.dpi))
    if x1 <= x0 or y1 <= y0:  # a box off the page (bad data): show the whole page
        return Region(0, 0, page.width, page.height)
    return Region(x0, y0, x1 - x0, y1 - y0)


def _pdftoppm() -> str:
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise MissingDependencyError("pdftoppm (poppler-utils) is needed to show field images")
    return exe


def render(pdf: Path, page_no: int, dpi: float, region: Region | None = None) -> Image.Image:
    """Page ``page_no`` (0-based) of ``pdf`` at ``dpi``, or only ``region`` of it."""
    args = [_pdftoppm(), "-f", str(page_no + 1), "-l", str(page_no + 1), "-r", f"{dpi:.4f}"]
    if region is not None:
        args += ["-x", str(region.left), "-y", str(region.top)]
        args += ["-W", str(region.width), "-H", str(region.height)]
    args += ["-png", "-singlefile", str(pdf)]  # no output root: the PNG goes to stdout
    try:
        done = subprocess.run(args, capture_output=True, timeout=_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise OSError(f"pdftoppm took over {_TIMEOUT_S} s on {pdf.name}") from exc
    if done.returncode != 0 or not done.stdout:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OSError(f"pdftoppm cannot render {pdf.name}: {reason[0] if reason else 'no image'}")
    image = Image.open(io.BytesIO(done.stdout))
    image.load()
    return image


def field_image(
    pdf: Path,
    pages: list[PageSize],
    page_no: int | None,
    box: tuple[int, int, int, int] | None,
) -> Image.Image | None:
    """The crop of a read field, or the first page (small) when it was not read; None when
    the signed PDF or the page is not there."""
    if not pdf.is_file() or not pages:
        return None
    if page_no is None or box is None or not 0 <= page_no < len(pages):
        first = pages[0]
        return render(pdf, 0, min(first.dpi, _OVERVIEW_DPI))
    page = pages[page_no]
    return render(pdf, page_no, page.dpi, region_with_margin(box, page))
