"""Plain records passed between pipeline stages.

They are deliberately storage-agnostic: the store maps them to tables, the PDF writer
to a text layer, the CLI to JSON.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

PdfALevel = Literal["1b", "2b"]


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One recognised word, in pixel coordinates of the upright, deskewed page image.

    ``line`` numbers the text line on its page (0-based, reading order); words of one line
    share a baseline in the text layer. ``confidence`` is Tesseract's 0-100 word confidence.
    """

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float
    block: int
    line: int


@dataclass(slots=True)
class PageRaster:
    """A cleaned, upright page at scan resolution, with its OCR words.

    ``image`` mode is ``"RGB"`` (colour), ``"L"`` (grey) or ``"1"`` (black and white);
    the mode decides the PDF image encoding (JPEG vs lossless).
    """

    image: Image.Image
    dpi: float
    words: list[OcrWord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DocumentMetadata:
    """What the PDF/A XMP and document info carry about a document."""

    document_id: str
    title: str
    doc_type: str
    unit_code: str | None
    unit_name: str | None
    created: dt.datetime
    producer: str


Status = Literal["registered", "needs_review", "duplicate", "failed"]


@dataclass(frozen=True, slots=True)
class FieldValue:
    """An extracted field: normalised value, confidence 0-1, and whether a clerk must look."""

    value: str | int | float | None  # int for money/number, float for areas
    confidence: float
    status: Literal["ok", "needs_review"]
    page_no: int | None = None
    # (left, top, width, height) of the value on page ``page_no`` (0-based) of the stored pages
    box: tuple[int, int, int, int] | None = None
    # where the value came from: the page's text, or a QR code/barcode that encodes it
    origin: Literal["ocr", "qr"] = "ocr"


@dataclass(frozen=True, slots=True)
class PageResult:
    """What the pipeline learned about one page (its OCR words included)."""

    width: int
    height: int
    dpi: float
    colour_mode: str
    rotation: int
    skew_deg: float
    ocr_confidence: float
    words: list[OcrWord]


@dataclass(slots=True)
class DocumentResult:
    """The outcome for one input file; ``to_json`` is the stable CLI contract."""

    source: str
    sha256: str
    status: Status
    document_id: str | None = None
    error: str | None = None
    doc_type: str = "unknown"
    doc_type_confidence: float = 0.0
    fields: dict[str, FieldValue] = field(default_factory=dict)
    pages: list[PageResult] = field(default_factory=list)
    output: str | None = None
    output_sha256: str | None = None
    seconds: float = 0.0
    peak_rss_mb: float = 0.0  # of the worker process that made it (for benchmarks)
    blank_pages_dropped: int = 0  # per the profile's blank-page policy
    dossier_code: str | None = None  # the dossier a receipt in the same stack linked it to
    key_value: str | None = None  # the value of its type's key field (schema ``key``)
    reuse_of: str | None = None  # an already registered document of the same type and key
    schema_version: int | None = None  # the version of its type's schema when understood

    def to_json(self) -> dict[str, object]:
        return {
            "document_id": self.document_id,
            "source": self.source,
            "sha256": self.sha256,
            "status": self.status,
            "error": self.error,
            "doc_type": self.doc_type,
            "doc_type_confidence": round(self.doc_type_confidence, 4),
            "fields": {
                name: {"value": f.value, "confidence": round(f.confidence, 4), "status": f.status}
                for name, f in self.fields.items()
            },
            "pages": [
                {
                    "rotation": p.rotation,
                    "skew_deg": round(p.skew_deg, 2),
                    "ocr_confidence": round(p.ocr_confidence, 2),
                }
                for p in self.pages
            ],
            "blank_pages_dropped": self.blank_pages_dropped,
            "dossier_code": self.dossier_code,
            "reuse_of": self.reuse_of,
            "output": self.output,
        }
