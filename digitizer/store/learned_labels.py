"""Learned label wordings in the store: listed, added and forgotten, each change audited.

A learned label belongs to an office: the unit code of the profile the documents were
digitized with (``Document.unit_id``'s code), or "" for documents digitized without a unit
(a workstation's own store is then the office). Adding and forgetting one changes how
documents are read, so each is an entry of the audit chain (``learn_label`` /
``forget_label``), written in the same transaction after the chain's lock, as a clerk's
decision is (:mod:`digitizer.review.actions`). The entries carry no document state: a
label changes no document by itself (re-indexing, which does, writes its own entries).

Log lines name labels by id and field only: a label is the form's wording, but the
document it came from is a person's.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from digitizer.store import audit
from digitizer.store.models import Document, LearnedLabel, Unit, utcnow
from digitizer.understanding.variants import LearnedVariant

log = logging.getLogger(__name__)

LEARN, FORGET = "learn_label", "forget_label"


@dataclass(frozen=True, slots=True)
class Pending:
    """Labels learned or forgotten since the last re-index, and the (office, type) pairs
    whose older documents must be read again because of them."""

    ids: tuple[int, ...]
    scopes: tuple[tuple[str, str], ...]  # (unit_code, doc_type)


def describe(row: LearnedLabel) -> str:
    """One line for the audit entry: which label, of which field, type and office."""
    office = row.unit_code or "-"
    return f"#{row.id} {office} {row.doc_type}.{row.field_name}: {row.label} ({row.placement})"


def variant_of(row: LearnedLabel) -> LearnedVariant:
    return LearnedVariant(row.id, row.unit_code, row.doc_type, row.field_name, row.label)


def active(session: Session, unit_code: str | None = None) -> list[LearnedVariant]:
    """The labels in force (of one office, or of all), oldest first."""
    query = select(LearnedLabel).where(LearnedLabel.forgotten_at.is_(None))
    if unit_code is not None:
        query = query.where(LearnedLabel.unit_code == unit_code)
    return [variant_of(r) for r in session.scalars(query.order_by(LearnedLabel.id))]


def listing(session: Session, doc_type: str | None = None) -> list[LearnedLabel]:
    """The labels in force for ``digitizer schemas learned``, oldest first."""
    query = select(LearnedLabel).where(LearnedLabel.forgotten_at.is_(None))
    if doc_type is not None:
        query = query.where(LearnedLabel.doc_type == doc_type)
    return list(session.scalars(query.order_by(LearnedLabel.id)))


def revision(session: Session) -> tuple[int, int]:
    """What changes whenever a label is learned or forgotten (the newest id, the number
    forgotten): one cheap query a worker asks before each document."""
    row = session.execute(
        select(func.coalesce(func.max(LearnedLabel.id), 0), func.count(LearnedLabel.forgotten_at))
    ).one()
    return int(row[0]), int(row[1])


def unit_code_of(session: Session, document: Document) -> str:
    """The office a document belongs to: its unit's code, "" without one."""
    if document.unit_id is None:
        return ""
    unit = session.get(Unit, document.unit_id)
    return unit.code if unit is not None else ""


def unit_codes(session: Session) -> dict[int, str]:
    """Every unit id's code, for walks over many documents."""
    return {int(i): str(c) for i, c in session.execute(select(Unit.id, Unit.code))}


def find(
    session: Session, unit_code: str, doc_type: str, field_name: str, folded: str
) -> LearnedLabel | None:
    """The row of these words for this field, type and office (in force or forgotten)."""
    return session.scalars(
        select(LearnedLabel).where(
            LearnedLabel.unit_code == unit_code,
            LearnedLabel.doc_type == doc_type,
            LearnedLabel.field_name == field_name,
            LearnedLabel.label_folded == folded,
        )
    ).first()


def add(
    session: Session,
    *,
    variant: LearnedVariant,
    folded: str,
    placement: str,
    document_id: str,
    actor: str,
) -> LearnedLabel:
    """Store a learned label with its audit entry (the caller's transaction commits)."""
    audit.lock_chain(session)
    row = LearnedLabel(
        unit_code=variant.unit_code,
        doc_type=variant.doc_type,
        field_name=variant.field,
        label=variant.label[:200],
        label_folded=folded[:200],
        placement=placement,
        document_id=document_id,
        taught_by=actor,
        taught_at=utcnow(),
        reread=False,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action=LEARN,
        document_id=document_id,
        field_name=variant.field,
        new_value=describe(row),
    )
    log.info("label %d learned for field %s of %s", row.id, row.field_name, row.doc_type)
    return row


def forget(session: Session, label_id: int, actor: str) -> LearnedLabel | None:
    """Forget a label in force, with its audit entry; None when there is no such label."""
    audit.lock_chain(session)
    row = session.get(LearnedLabel, label_id)
    if row is None or row.forgotten_at is not None:
        return None
    row.forgotten_at, row.forgotten_by, row.reread = utcnow(), actor, False
    session.flush()
    audit.append(
        session,
        actor=actor,
        action=FORGET,
        document_id=row.document_id,
        field_name=row.field_name,
        old_value=describe(row),
    )
    log.info("label %d forgotten for field %s of %s", row.id, row.field_name, row.doc_type)
    return row


# ----------------------------------------------------------------------------- re-indexing


def pending_reread(session: Session) -> Pending:
    """Labels learned or forgotten since re-indexing last read their office's documents."""
    rows = session.execute(
        select(LearnedLabel.id, LearnedLabel.unit_code, LearnedLabel.doc_type).where(
            LearnedLabel.reread.is_(False)
        )
    ).all()
    scopes = sorted({(str(u), str(t)) for _, u, t in rows})
    return Pending(tuple(int(r[0]) for r in rows), tuple(scopes))


def mark_reread(session: Session, ids: Sequence[int]) -> None:
    """These labels' documents were read again: the next re-index need not."""
    if ids:
        session.execute(
            update(LearnedLabel).where(LearnedLabel.id.in_(list(ids))).values(reread=True)
        )


def scope_condition(scopes: Sequence[tuple[str, str]]) -> ColumnElement[bool] | None:
    """Documents of these (office, type) pairs; None for no pair."""
    clauses = []
    for unit_code, doc_type in scopes:
        unit = (
            Document.unit_id.is_(None)
            if not unit_code
            else Document.unit_id.in_(select(Unit.id).where(Unit.code == unit_code))
        )
        clauses.append(and_(Document.doc_type == doc_type, unit))
    return or_(*clauses) if clauses else None


def seen_since(session: Session, row: LearnedLabel) -> int | None:
    """Documents of the label's type and office registered since it was taught whose text
    holds its words (the full-text index as it stands); None where there is no index."""
    from digitizer.store.lookup import document_text, text_condition

    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return None
    where = scope_condition([(row.unit_code, row.doc_type)])
    assert where is not None
    query = (
        select(func.count())
        .select_from(Document)
        .join(document_text, document_text.c.document_id == Document.id)
        .where(
            where,
            Document.created_at > _aware(row.taught_at),
            Document.id != row.document_id,
            text_condition(dialect, row.label),
        )
    )
    return int(session.scalar(query) or 0)


def _aware(at: dt.datetime) -> dt.datetime:
    """SQLite returns times without their zone: they are UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
