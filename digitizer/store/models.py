"""SQLAlchemy 2.x tables of the store.

Names follow the domain. Every OCR word is kept with its box and confidence so that
classification, extraction and re-indexing never need to OCR a page again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from digitizer.understanding.vntext import fold


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class Unit(Base):
    """An administrative unit (province, district, commune) with its validity dates.

    Units are data: they were merged and renumbered on 1 July 2025, and archival documents
    keep the old ones, so a unit is never deleted, only closed with ``valid_to``.
    """

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))  # province | district | commune
    parent_code: Mapped[str | None] = mapped_column(String(16))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("code", "level", "valid_from", name="uq_unit_code"),)


class Dossier(Base):
    """A dossier of an administrative procedure (hồ sơ TTHC), as the one-stop shop received it.

    It comes from a scanned dossier receipt (its QR dossier code) or from an import of the
    office's one-stop-shop system. The rates count dossiers: received in a period, digitized
    (its components and results signed and stored), reused (it used already digitized data).
    """

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    procedure: Mapped[str | None] = mapped_column(String(300))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    received_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    returned_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="received")
    origin: Mapped[str] = mapped_column(String(16))  # receipt | import
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # its progress, derived from its documents and reuse events (digitizer.store.progress)
    digitized: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    awaiting_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    documents: Mapped[list[Document]] = relationship(back_populates="dossier")

    __table_args__ = (
        # the rates: one pass over this index answers every commune of a period
        Index(
            "ix_dossiers_rates", "unit_id", "received_on", "digitized", "awaiting_review", "reused"
        ),
    )


class Document(Base):
    """One input file, digitized: its signed PDF/A, its type and its unit."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source_path: Mapped[str] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), index=True)
    doc_type: Mapped[str] = mapped_column(String(64), index=True, default="unknown")
    doc_type_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    profile: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    page_count: Mapped[int] = mapped_column(Integer)
    output_path: Mapped[str] = mapped_column(Text)
    output_sha256: Mapped[str] = mapped_column(String(64))
    pdfa_level: Mapped[str] = mapped_column(String(4))
    ocr_engine: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    # the value of the type's key field (schema ``key``): how a re-scan is recognised
    key_value: Mapped[str | None] = mapped_column(String(64))
    reuse_of: Mapped[str | None] = mapped_column(String(32))  # an earlier document, same key
    # the version of its type's schema it was understood with (``digitizer reindex`` re-reads
    # a document whose type's schema has another version now); None: not yet known
    schema_version: Mapped[int | None] = mapped_column(Integer)

    dossier: Mapped[Dossier | None] = relationship(back_populates="documents")
    pages: Mapped[list[Page]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Page.page_no"
    )
    fields: Mapped[list[Field]] = relationship(
        back_populates="document", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_documents_type_key", "doc_type", "key_value"),
        # the documents that name another as the earlier one (re-linked when its key changes)
        Index("ix_documents_reuse_of", "reuse_of"),
        # the rates: a dossier's documents by status, and a commune's documents by type
        Index("ix_documents_dossier_status", "dossier_id", "status"),
        Index(
            "ix_documents_unit_type_status_created", "unit_id", "doc_type", "status", "created_at"
        ),
    )


class Page(Base):
    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    page_no: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    dpi: Mapped[float] = mapped_column(Float)
    colour_mode: Mapped[str] = mapped_column(String(8))
    rotation: Mapped[int] = mapped_column(Integer)
    skew_deg: Mapped[float] = mapped_column(Float)
    ocr_confidence: Mapped[float] = mapped_column(Float)

    document: Mapped[Document] = relationship(back_populates="pages")

    __table_args__ = (UniqueConstraint("document_id", "page_no", name="uq_page_no"),)


class OcrWordRow(Base):
    """A recognised word in pixel coordinates of the stored (upright, deskewed) page."""

    __tablename__ = "ocr_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(255))
    left: Mapped[int] = mapped_column(Integer)
    top: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)
    block: Mapped[int] = mapped_column(Integer)
    line: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_ocr_words_page", "page_id", "seq"),)


class Field(Base):
    """An extracted key field of a document (filled by document understanding)."""

    __tablename__ = "fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    page_no: Mapped[int | None] = mapped_column(Integer)
    # where the value was read on its page (pixels of the stored page): the clerk's crop
    left: Mapped[int | None] = mapped_column(Integer)
    top: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # diacritic-free, case-folded value (DOMAIN.md): "nguyen van an" finds "NGUYỄN VĂN AN"
    value_folded: Mapped[str | None] = mapped_column(String(255))
    # ocr | qr | clerk: a clerk's value is never overwritten by re-indexing
    origin: Mapped[str] = mapped_column(String(8), default="ocr")

    document: Mapped[Document] = relationship(back_populates="fields")

    __table_args__ = (
        UniqueConstraint("document_id", "name", name="uq_field_name"),
        Index("ix_fields_name_value", "name", "value"),
        # text_pattern_ops: PostgreSQL can use it for LIKE 'prefix%' in any collation
        Index(
            "ix_fields_name_folded",
            "name",
            "value_folded",
            postgresql_ops={"value_folded": "text_pattern_ops"},
        ),
    )


def folded_value(value: str | None) -> str | None:
    """What ``Field.value_folded`` holds for ``value``: the search form, cut to the column."""
    return None if value is None else fold(value)[:255]


class AuditEntry(Base):
    """A change to a document or its use (registration, a clerk's correction or acceptance,
    re-indexing, a reuse), tamper-evident.

    Each entry's ``hash`` covers its own content and the previous entry's hash, so changing
    or deleting any entry breaks every hash after it (``digitizer audit verify``); a signed
    seal outside the database holds the chain's head (:mod:`digitizer.seal`), so cutting
    entries off the end or re-hashing the chain shows too.
    """

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # correct | accept | register | reuse ...
    document_id: Mapped[str | None] = mapped_column(String(32), index=True)
    field_name: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the SHA-256 of the document's state (status, type, fields) this entry left it in
    # (digitizer.store.audit.document_state_digest); None: no document, or made before 0006
    state: Mapped[str | None] = mapped_column(String(64))


class ReuseEvent(Base):
    """A dossier used an already digitized document instead of asking the citizen again."""

    __tablename__ = "reuse_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))  # a clerk, or "pipeline" for a match
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)


class JournalEntry(Base):
    """What happened to a file, step by step: the processing journal.

    Failures are recorded here (not as documents) so that a fixed file can be retried.
    """

    __tablename__ = "journal"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    document_id: Mapped[str | None] = mapped_column(String(32), index=True)
    source_path: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)


class LearnedLabel(Base):
    """A label wording a clerk's correction taught: the field was found on the page under
    words no schema lists, so those words become one more label of that field, for
    documents of that type digitized by that office (``unit_code``, the profile's unit;
    "" for documents digitized without one: the store itself is then the office).

    A forgotten label stays as a row (``forgotten_at``): its history is kept, and the same
    words are not learned again from a later correction (a person removed them for a
    reason). ``reread`` is False until ``digitizer reindex`` has re-read the office's older
    documents of that type with the label as it now stands (learned or forgotten).
    """

    __tablename__ = "learned_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(16))
    doc_type: Mapped[str] = mapped_column(String(64))
    field_name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    label_folded: Mapped[str] = mapped_column(String(200))
    # where the label stood: "line" (before the value on its line) or "above" (the line above)
    placement: Mapped[str] = mapped_column(String(8))
    document_id: Mapped[str] = mapped_column(String(32))  # the document it was learned from
    taught_by: Mapped[str] = mapped_column(String(64))
    taught_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    forgotten_by: Mapped[str | None] = mapped_column(String(64))
    forgotten_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reread: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        UniqueConstraint(
            "unit_code", "doc_type", "field_name", "label_folded", name="uq_learned_label"
        ),
    )


class Account(Base):
    """A person who signs in to the office's web workspace (``digitizer serve``): a clerk,
    the office head or IT. The password is kept only as its argon2id hash; a disabled
    account stays as a row, since the audit trail names its decisions."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(8))  # clerk | head | admin
    password_hash: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    disabled_by: Mapped[str | None] = mapped_column(String(64))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
