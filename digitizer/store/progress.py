"""A dossier's progress, kept on the dossier itself: digitized, awaiting review, reused.

Why stored and not computed when asked: the province asks for the rates of all communes at
once, over hundreds of thousands of dossiers and a million documents. Computing "has a
registered document" per dossier at that moment means reducing every document to its
dossier (over a second on PostgreSQL even with indexes); three flags on the dossier make the
rates one pass over the dossiers' index. The flags are derived data: :func:`refresh` sets
them from the dossier's documents and reuse events, and every write that can change them
(registering a document, a clerk finishing a review, recording a reuse) calls it in the
same transaction. :func:`refresh_all` recomputes every dossier (migrations, re-indexing).

* ``digitized``: at least one of its documents is ``registered`` (signed, stored, data
  confirmed). Documents still ``needs_review`` are signed and stored but their data is not
  yet confirmed, so they do not count: the dossier is ``awaiting_review`` instead.
* ``reused``: at least one reuse event names the dossier.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from digitizer.store.models import Document, Dossier, ReuseEvent


def _has_document(status: str) -> ColumnElement[bool]:
    return exists().where(and_(Document.dossier_id == Dossier.id, Document.status == status))


def _flags() -> dict[str, ColumnElement[bool]]:
    registered = _has_document("registered")
    return {
        "digitized": registered,
        "awaiting_review": and_(~registered, _has_document("needs_review")),
        "reused": exists().where(ReuseEvent.dossier_id == Dossier.id),
    }


def refresh(session: Session, dossier_id: int | None) -> None:
    """Recompute one dossier's flags (no-op for a document without a dossier)."""
    if dossier_id is None:
        return
    session.flush()  # the caller's new documents and events must be visible to the query
    session.execute(
        update(Dossier)
        .where(Dossier.id == dossier_id)
        .values(**_flags())
        .execution_options(synchronize_session=False)
    )


def refresh_all(session: Session) -> int:
    """Recompute every dossier's flags; the number of dossiers."""
    session.execute(update(Dossier).values(**_flags()).execution_options(synchronize_session=False))
    return int(session.scalar(select(Dossier.id).order_by(Dossier.id.desc()).limit(1)) or 0)
