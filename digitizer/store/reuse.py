"""Which earlier document a document repeats, kept true whenever its key changes.

A document whose type's key field (a land certificate's serial, a birth certificate's
register number) matches a document digitized *before* it is a re-scan of the same paper:
``Document.reuse_of`` names the earlier one, and when the document came with a dossier, that
dossier reused digitized data (an automatic :class:`ReuseEvent`, which the reuse rate
counts). The key is known at registration, but a clerk may correct it in review and
re-indexing may read it anew, so every writer of ``key_value`` calls :func:`relink` (or
:func:`relink_after_key_change`) in the same transaction, and a match made on a misread key
is undone with it, on this document and on the later ones that matched it.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from digitizer.store import progress
from digitizer.store.models import Document, ReuseEvent


def earlier_same_key(s: Session, doc: Document) -> str | None:
    """The first document of the same type and key registered before ``doc``."""
    if not doc.key_value:
        return None
    query = select(Document.id).where(
        Document.doc_type == doc.doc_type,
        Document.key_value == doc.key_value,
        Document.id != doc.id,
    )
    if doc.created_at is not None:
        query = query.where(Document.created_at < doc.created_at)
    return s.scalars(query.order_by(Document.created_at).limit(1)).first()


def relink(s: Session, doc: Document, *, actor: str) -> bool:
    """Set ``doc.reuse_of`` from its current key, and its dossier's automatic reuse event
    with it; True when anything changed. The caller's transaction commits. At registration
    (the newest document: nothing can depend on it yet)."""
    s.flush()  # doc's key, type and time must be visible to the query
    found = earlier_same_key(s, doc)
    if found == doc.reuse_of:
        return False
    if doc.reuse_of is not None and doc.dossier_id is not None:
        s.execute(
            delete(ReuseEvent).where(
                ReuseEvent.document_id == doc.reuse_of,
                ReuseEvent.dossier_id == doc.dossier_id,
                ReuseEvent.automatic.is_(True),
            )
        )
    doc.reuse_of = found
    if found is not None and doc.dossier_id is not None:
        s.add(ReuseEvent(document_id=found, dossier_id=doc.dossier_id, actor=actor, automatic=True))
    progress.refresh(s, doc.dossier_id)
    return True


def relink_after_key_change(s: Session, doc: Document, *, actor: str) -> bool:
    """:func:`relink` for a document whose key was corrected or read anew, and for the
    documents whose match depends on its key: those that named it as the earlier one (the
    old key), and the later ones with its new key."""
    changed = relink(s, doc, actor=actor)
    dependent = Document.reuse_of == doc.id
    if doc.key_value:
        same_key = and_(
            Document.doc_type == doc.doc_type,
            Document.key_value == doc.key_value,
            Document.created_at > doc.created_at,
        )
        dependent = or_(dependent, same_key)
    for other in s.scalars(select(Document).where(Document.id != doc.id, dependent)).all():
        changed = relink(s, other, actor=actor) or changed
    return changed
