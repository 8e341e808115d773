"""One document under review on the web: its fields in Vietnamese, its page, the decisions.

The decisions are the terminal review's (:class:`~digitizer.review.actions.Reviewer`): the
same checks refuse a wrong value and save nothing, the same audit entries record who
decided, under the signed-in account. Values are shown and typed the Vietnamese way
(dd/mm/yyyy, 1.075,7 m², 150.000.000 đồng). The page image is drawn on the server, with
the field's box on it: the pages allow no inline script or style.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from PIL import ImageDraw

from digitizer.review.crop import render
from digitizer.review.queue import ReviewDocument, ReviewItem
from digitizer.understanding.schema import FieldSpec

DOCUMENT_ID = re.compile(r"[0-9a-f]{16}")
_PAGE_DPI = 100.0  # the page as shown: enough to read, small to send
_BOX_COLOUR = (200, 0, 0)


def vietnamese_value(spec: FieldSpec | None, value: str | None) -> str:
    """A stored value as a clerk writes it."""
    if value is None:
        return ""
    kind = spec.type if spec is not None else "text"
    if kind == "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        year, month, day = value.split("-")
        return f"{day}/{month}/{year}"
    if kind == "area":
        try:
            number = float(value)
        except ValueError:
            return value
        whole, _, decimals = f"{number:,.2f}".partition(".")
        decimals = decimals.rstrip("0")
        text = whole.replace(",", ".") + ("," + decimals if decimals else "")
        return f"{text} m²"
    if kind == "money" and value.isdigit():
        return f"{int(value):,}".replace(",", ".") + " đồng"
    return value


def field_label(spec: FieldSpec | None, name: str, gettext: Callable[[str], str]) -> str:
    """The field's Vietnamese label: the catalog's, else the schema's first wording."""
    translated = gettext(name)
    if translated != name:
        return translated
    if spec is not None and (spec.labels or spec.section_labels):
        return (spec.labels or spec.section_labels)[0]
    return name


def item_rows(doc: ReviewDocument, gettext: Callable[[str], str]) -> list[dict[str, object]]:
    return [
        {
            "name": item.name,
            "label": field_label(item.spec, item.name, gettext),
            "value": vietnamese_value(item.spec, item.value),
            "seen": item.value or "",
            "missing": item.missing,
            "page": item.page_no,
        }
        for item in doc.items
    ]


def page_png(pdf: Path, doc: ReviewDocument, page_no: int, item: ReviewItem | None) -> bytes:
    """Page ``page_no`` of the signed PDF as a PNG, the field's box drawn on it."""
    page = doc.pages[page_no]
    image = render(pdf, page_no, min(page.dpi, _PAGE_DPI)).convert("RGB")
    if item is not None and item.box is not None and item.page_no == page_no:
        scale = min(page.dpi, _PAGE_DPI) / page.dpi
        left, top, width, height = (round(v * scale) for v in item.box)
        ImageDraw.Draw(image).rectangle(
            (left - 3, top - 3, left + width + 3, top + height + 3), outline=_BOX_COLOUR, width=3
        )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
