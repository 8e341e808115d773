"""Finding digitized documents again: by personal ID, name, parcel, dossier, and full text.

This is what makes reuse possible at the counter: the clerk finds what the citizen already
brought once. Every criterion is an indexed look-up so that it stays fast at a million
documents:

* **personal ID** — ``fields.value`` of every field whose schema type is ``personal_id``
  (the names come from the office's schemas, so a new type's ID field is searched too):
  the ``(name, value)`` index.
* **name** — ``fields.value_folded`` (no accents, case-folded: "nguyen van an" finds
  "NGUYỄN VĂN AN"), matched from the family name on whole words: the whole name or a name
  that begins with the words given ("nguyen van" finds "NGUYỄN VĂN AN" and "NGUYỄN VĂN
  BÌNH", "nguyen van an" does not find "NGUYỄN VĂN ANH"); a trailing ``*`` makes the last
  word a prefix ("nguyen van an*"). SQLite compares bytes, so this is one range scan of the
  ``(name, value_folded)`` index; on PostgreSQL it is ``=`` or ``LIKE 'words %'``, which uses
  the index when it has the ``text_pattern_ops`` operator class (or the database the C
  collation).
* **parcel** — map sheet and parcel number fields, both given.
* **dossier** — documents linked to the dossier, and receipts that carry its code.
* **full text** — the OCR words of each document, folded, in one row of ``document_text``,
  indexed by SQLite FTS5 (an external-content table kept in step by triggers) or by a
  PostgreSQL GIN index on ``to_tsvector('simple', body)``. All words must occur. Documents
  registered before the index existed are indexed on the first text query
  (:func:`sync_text_index`), a batch at a time; :func:`index_document` indexes one as it is
  registered.

Criteria combine with AND; ``doc_type`` and units narrow further.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    column,
    func,
    inspect,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from digitizer.store import audit, progress
from digitizer.store.models import Document, Dossier, Field, OcrWordRow, Page, ReuseEvent, Unit
from digitizer.understanding.schema import SchemaSet
from digitizer.understanding.vntext import fold

log = logging.getLogger(__name__)

PARCEL_FIELD = "parcel_number"  # field names of the domain contract (DOMAIN.md)
MAP_SHEET_FIELD = "map_sheet_number"
DOSSIER_FIELD = "dossier_code"
_BATCH = 200

# One row of folded OCR text per document: what full-text search indexes. On its own
# metadata, made by migration 0004 (ensure_text_index), with its dialect's full-text index
# beside it; no foreign key, because documents is not in this metadata (documents are never
# deleted).
_text_meta = MetaData()
document_text = Table(
    "document_text",
    _text_meta,
    Column("id", Integer, primary_key=True),  # the FTS5 rowid: stable across VACUUM
    Column("document_id", String(32), nullable=False, unique=True),
    Column("body", Text, nullable=False),
)

_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS document_fts USING fts5("
    "body, content='document_text', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS document_text_ai AFTER INSERT ON document_text BEGIN "
    "INSERT INTO document_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS document_text_ad AFTER DELETE ON document_text BEGIN "
    "INSERT INTO document_fts(document_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS document_text_au AFTER UPDATE ON document_text BEGIN "
    "INSERT INTO document_fts(document_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO document_fts(rowid, body) VALUES (new.id, new.body); END",
)
_fts = table("document_fts", column("rowid", Integer))
_PG_FTS = (
    "CREATE INDEX IF NOT EXISTS ix_document_text_tsv ON document_text "
    "USING gin (to_tsvector('simple', body))",
)


@dataclass(frozen=True, slots=True)
class LookupQuery:
    """What to look for; unset criteria are ignored, set ones must all hold."""

    personal_id: str | None = None
    name: str | None = None
    map_sheet: str | None = None
    parcel: str | None = None
    dossier: str | None = None
    text: str | None = None
    doc_type: str | None = None
    unit_ids: tuple[int, ...] = ()
    limit: int = 50

    def empty(self) -> bool:
        return not any(
            (self.personal_id, self.name, self.map_sheet, self.parcel, self.dossier, self.text)
        )


@dataclass(slots=True)
class Hit:
    """A found document with what a clerk needs to recognise it."""

    document_id: str
    doc_type: str
    status: str
    created_at: dt.datetime
    source_name: str
    output_path: str
    unit_code: str | None = None
    unit_name: str | None = None
    dossier_code: str | None = None
    key_value: str | None = None
    reuse_of: str | None = None
    fields: dict[str, tuple[str | None, str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "document_id": self.document_id,
            "doc_type": self.doc_type,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "source_name": self.source_name,
            "output": self.output_path,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "dossier_code": self.dossier_code,
            "key_value": self.key_value,
            "reuse_of": self.reuse_of,
            "fields": {k: {"value": v, "status": s} for k, (v, s) in sorted(self.fields.items())},
        }


def fields_of_type(schemas: SchemaSet, field_type: str) -> tuple[str, ...]:
    """The names of every schema field of a type (``personal_id``, ``name``), sorted."""
    return tuple(
        sorted({f.name for s in schemas.schemas for f in s.fields if f.type == field_type})
    )


def normalize_id(value: str) -> str:
    """A personal ID as typed ("024 070 001 234", "024.070.001.234") -> its digits."""
    return re.sub(r"[\s.\-]", "", value)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def name_condition(dialect: str, query: str) -> ColumnElement[bool]:
    """``value_folded`` matching a folded name on whole words from the start (see module)."""
    prefix = query.rstrip().endswith("*")
    q = fold(query.replace("*", " "))
    vf = Field.value_folded
    if dialect == "sqlite":
        # binary order: q itself and q + " …" sort in [q, q + "!"); any q… in [q, q + U+10FFFF)
        return and_(vf >= q, vf < q + ("\U0010ffff" if prefix else "!"))
    pattern = _escape_like(q) + ("%" if prefix else " %")
    return or_(vf == q, vf.like(pattern, escape="\\"))


def _ids_with_field(names: Iterable[str], cond: ColumnElement[bool]) -> Select[Any]:
    return select(Field.document_id).where(Field.name.in_(tuple(names)), cond)


def _number_variants(value: str) -> tuple[str, ...]:
    v = value.strip()
    stripped = v.lstrip("0") or v
    return tuple(dict.fromkeys((v, stripped)))


def search(session: Session, schemas: SchemaSet, q: LookupQuery) -> list[Hit]:
    """The documents matching every criterion of ``q``, newest first, at most ``q.limit``."""
    dialect = session.get_bind().dialect.name
    stmt = select(Document.id)
    if q.personal_id:
        names = fields_of_type(schemas, "personal_id")
        stmt = stmt.where(
            Document.id.in_(_ids_with_field(names, Field.value == normalize_id(q.personal_id)))
        )
    if q.name:
        names = fields_of_type(schemas, "name")
        stmt = stmt.where(Document.id.in_(_ids_with_field(names, name_condition(dialect, q.name))))
    if q.map_sheet:
        cond = Field.value.in_(_number_variants(q.map_sheet))
        stmt = stmt.where(Document.id.in_(_ids_with_field((MAP_SHEET_FIELD,), cond)))
    if q.parcel:
        cond = Field.value.in_(_number_variants(q.parcel))
        stmt = stmt.where(Document.id.in_(_ids_with_field((PARCEL_FIELD,), cond)))
    if q.dossier:
        code = q.dossier.strip()
        linked = select(Document.id).join(Dossier, Dossier.id == Document.dossier_id)
        stmt = stmt.where(
            or_(
                Document.id.in_(linked.where(Dossier.code == code)),
                Document.id.in_(_ids_with_field((DOSSIER_FIELD,), Field.value == code)),
            )
        )
    order = [Document.created_at.desc(), Document.id]
    if q.text:
        sync_text_index(session)
        texts = select(document_text.c.document_id).where(text_condition(dialect, q.text))
        if dialect == "sqlite" and stmt.whereclause is None and not (q.doc_type or q.unit_ids):
            # text alone: newest indexed first, a walk down document_text's key that stops at
            # the limit (sorting every match of common words by date took 0.6 s at 100,000)
            stmt = stmt.join(document_text, document_text.c.document_id == Document.id)
            stmt = stmt.where(text_condition(dialect, q.text))
            order = [document_text.c.id.desc()]
        else:
            stmt = stmt.where(Document.id.in_(texts))
    if q.doc_type:
        stmt = stmt.where(Document.doc_type == q.doc_type)
    if q.unit_ids:
        stmt = stmt.where(Document.unit_id.in_(q.unit_ids))
    ids = list(session.scalars(stmt.order_by(*order).limit(q.limit)))
    return hits(session, ids)


def hits(session: Session, ids: list[str]) -> list[Hit]:
    """The documents ``ids`` (in that order) with their unit, dossier and fields."""
    if not ids:
        return []
    rows = session.execute(
        select(Document, Unit.code, Unit.name, Dossier.code)
        .outerjoin(Unit, Unit.id == Document.unit_id)
        .outerjoin(Dossier, Dossier.id == Document.dossier_id)
        .where(Document.id.in_(ids))
    ).all()
    by_id: dict[str, Hit] = {}
    for doc, unit_code, unit_name, dossier_code in rows:
        by_id[doc.id] = Hit(
            document_id=doc.id,
            doc_type=doc.doc_type,
            status=doc.status,
            created_at=doc.created_at,
            source_name=doc.source_name,
            output_path=doc.output_path,
            unit_code=unit_code,
            unit_name=unit_name,
            dossier_code=dossier_code,
            key_value=doc.key_value,
            reuse_of=doc.reuse_of,
        )
    for doc_id, name, value, status in session.execute(
        select(Field.document_id, Field.name, Field.value, Field.status).where(
            Field.document_id.in_(ids)
        )
    ):
        by_id[doc_id].fields[name] = (value, status)
    return [by_id[i] for i in ids if i in by_id]


def find_document(session: Session, ref: str) -> Document | None:
    """A document by its id, or by a prefix of it at least 8 characters long that only one
    document has (ids are long; clerks copy the start)."""
    ref = ref.strip().lower()
    doc = session.get(Document, ref)
    if doc is not None or len(ref) < 8:
        return doc
    found = list(
        session.scalars(
            select(Document).where(Document.id >= ref, Document.id < ref + "\U0010ffff").limit(2)
        )
    )
    return found[0] if len(found) == 1 else None


# ---------------------------------------------------------------- full text


def ensure_text_index(conn: Connection) -> None:
    """Create ``document_text`` and its full-text index if absent (idempotent)."""
    if inspect(conn).has_table("document_text"):
        return  # (checked first: PostgreSQL locks the table even for IF NOT EXISTS)
    document_text.create(conn, checkfirst=True)
    for ddl in _SQLITE_FTS if conn.dialect.name == "sqlite" else _PG_FTS:
        conn.execute(text(ddl))


def drop_text_index(conn: Connection) -> None:
    """Drop ``document_text`` and its full-text index (the migration's downgrade)."""
    if conn.dialect.name == "sqlite":
        for name in ("document_text_ai", "document_text_ad", "document_text_au"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        conn.execute(text("DROP TABLE IF EXISTS document_fts"))
    document_text.drop(conn, checkfirst=True)


def fts_query(words: str) -> str:
    """An FTS5 query for "all these words": each folded word quoted (no operators)."""
    tokens = [t for t in re.split(r"\s+", fold(words)) if re.search(r"\w", t)]
    return " ".join('"' + t.replace('"', '""') + '"' for t in tokens)


def text_condition(dialect: str, words: str) -> ColumnElement[bool]:
    """A condition on ``document_text``: its body holds every word of ``words``."""
    if dialect == "sqlite":
        match = literal_column("document_fts").op("MATCH")(fts_query(words) or '""')
        return document_text.c.id.in_(select(_fts.c.rowid).where(match))
    tsv = func.to_tsvector(text("'simple'"), document_text.c.body)
    return tsv.op("@@")(func.plainto_tsquery(text("'simple'"), fold(words)))


def document_body(session: Session, document_id: str) -> str:
    """The folded OCR text of a document, page by page, in reading order."""
    words = session.scalars(
        select(OcrWordRow.text)
        .join(Page, Page.id == OcrWordRow.page_id)
        .where(Page.document_id == document_id)
        .order_by(Page.page_no, OcrWordRow.seq)
    )
    return fold(" ".join(words))


def index_document(session: Session, document_id: str, words: Iterable[str] | None = None) -> None:
    """Index one document's text (its OCR words given, or read from the store)."""
    body = fold(" ".join(words)) if words is not None else document_body(session, document_id)
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    # two look-ups catching up at once index the same document: the second one is a no-op
    session.execute(
        make(document_text)
        .values(document_id=document_id, body=body)
        .on_conflict_do_nothing(index_elements=["document_id"])
    )


def sync_text_index(session: Session) -> int:
    """Index every document that is not yet in ``document_text``; the number indexed.

    Cheap when nothing is missing (two counts). The caller's transaction holds the rows."""
    n_docs = session.scalar(select(func.count()).select_from(Document)) or 0
    n_text = session.scalar(select(func.count()).select_from(document_text)) or 0
    if n_docs == n_text:
        return 0
    missing = list(
        session.scalars(
            select(Document.id)
            .outerjoin(document_text, document_text.c.document_id == Document.id)
            .where(document_text.c.id.is_(None))
        )
    )
    for i in range(0, len(missing), _BATCH):
        for doc_id in missing[i : i + _BATCH]:
            index_document(session, doc_id)
        session.flush()
    log.info("full-text index: %d document(s) added", len(missing))
    return len(missing)


# ---------------------------------------------------------------- reuse


@dataclass(frozen=True, slots=True)
class ReuseOutcome:
    document_id: str
    dossier_code: str
    actor: str
    event_id: int
    created: bool  # False: this dossier had already reused this document


def record_reuse(
    session: Session, document: Document, dossier: Dossier, actor: str
) -> ReuseOutcome:
    """Record that ``dossier`` reused ``document`` (once per pair), with its audit entry.

    The caller commits: the event and the audit entry land together or not at all."""
    earlier = session.scalars(
        select(ReuseEvent).where(
            ReuseEvent.document_id == document.id, ReuseEvent.dossier_id == dossier.id
        )
    ).first()
    if earlier is not None:
        return ReuseOutcome(document.id, dossier.code, earlier.actor, earlier.id, created=False)
    event = ReuseEvent(document_id=document.id, dossier_id=dossier.id, actor=actor, automatic=False)
    session.add(event)
    progress.refresh(session, dossier.id)
    audit.append(
        session, actor=actor, action="reuse", document_id=document.id, new_value=dossier.code
    )
    log.info("reuse: document %s by dossier %s (event %d)", document.id, dossier.code, event.id)
    return ReuseOutcome(document.id, dossier.code, actor, event.id, created=True)
