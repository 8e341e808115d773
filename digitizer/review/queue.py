"""The review queue: documents waiting for a clerk, and what each one is waiting for.

A document waits (status ``needs_review``) for its uncertain fields (status
``needs_review``) and for the required fields of its type that were not read at all. The
latter come from the schema, not from the store: the store only holds what was read.
Documents are served oldest first, so nothing waits forever behind newer scans.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from digitizer.store.models import Document, Field, Page, Unit
from digitizer.store.store import Store
from digitizer.understanding.schema import DocumentSchema, FieldSpec, SchemaSet

NEEDS_REVIEW = "needs_review"


@dataclass(frozen=True, slots=True)
class PageSize:
    """A stored page: its pixel size at ``dpi`` (the signed PDF renders to it at ``dpi``)."""

    width: int
    height: int
    dpi: float


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One field a clerk must look at: uncertain (``missing`` False) or not read at all."""

    name: str
    spec: FieldSpec | None  # None: a field the current schema no longer defines
    value: str | None
    confidence: float | None
    page_no: int | None  # 0-based page of the signed PDF
    box: tuple[int, int, int, int] | None  # left, top, width, height in page pixels
    missing: bool


@dataclass(slots=True)
class ReviewDocument:
    id: str
    status: str
    doc_type: str
    source_name: str
    output_path: str
    created_at: dt.datetime
    unit_code: str | None
    pages: list[PageSize]
    items: list[ReviewItem] = field(default_factory=list)


def queue(store: Store, *, unit: str | None = None, doc_type: str | None = None) -> list[str]:
    """Ids of the documents waiting for review, oldest first."""
    query = select(Document.id).where(Document.status == NEEDS_REVIEW)
    if unit is not None:
        query = query.join(Unit, Unit.id == Document.unit_id).where(Unit.code == unit)
    if doc_type is not None:
        query = query.where(Document.doc_type == doc_type)
    with store.session() as s:
        return list(s.scalars(query.order_by(Document.created_at, Document.id)))


def pending_items(doc_fields: list[Field], schema: DocumentSchema | None) -> list[ReviewItem]:
    """What a document still waits for, in the schema's field order (uncertain fields of no
    schema field last)."""
    by_name = {f.name: f for f in doc_fields}
    items: list[ReviewItem] = []
    specs = schema.fields if schema is not None else ()
    for spec in specs:
        row = by_name.pop(spec.name, None)
        if row is None or row.value is None:
            if spec.required or (row is not None and row.status == NEEDS_REVIEW):
                items.append(ReviewItem(spec.name, spec, None, None, None, None, True))
        elif row.status == NEEDS_REVIEW:
            items.append(_item(row, spec))
    for row in sorted(by_name.values(), key=lambda f: f.name):
        if row.status == NEEDS_REVIEW:
            items.append(_item(row, None))
    return items


def _item(row: Field, spec: FieldSpec | None) -> ReviewItem:
    box = None
    if None not in (row.left, row.top, row.width, row.height):
        box = (int(row.left or 0), int(row.top or 0), int(row.width or 0), int(row.height or 0))
    return ReviewItem(row.name, spec, row.value, row.confidence, row.page_no, box, False)


def load_document(session: Session, schemas: SchemaSet, document_id: str) -> ReviewDocument | None:
    """A document with what it waits for, as the store holds it now."""
    doc = session.get(Document, document_id)
    if doc is None:
        return None
    unit_code = None
    if doc.unit_id is not None:
        unit = session.get(Unit, doc.unit_id)
        unit_code = unit.code if unit is not None else None
    pages = [
        PageSize(p.width, p.height, p.dpi)
        for p in session.scalars(
            select(Page).where(Page.document_id == doc.id).order_by(Page.page_no)
        )
    ]
    fields = list(session.scalars(select(Field).where(Field.document_id == doc.id)))
    return ReviewDocument(
        id=doc.id,
        status=doc.status,
        doc_type=doc.doc_type,
        source_name=doc.source_name,
        output_path=doc.output_path,
        created_at=doc.created_at,
        unit_code=unit_code,
        pages=pages,
        items=pending_items(fields, schemas.get(doc.doc_type)),
    )
