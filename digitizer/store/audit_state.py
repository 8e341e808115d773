"""Documents' states, tied to the audit entries that set them.

An entry about a document carries ``state``: the digest of the state the change left the
document in (:func:`document_state_digest`: status, type, every field's name, value, status
and origin). ``digitizer check`` recomputes each document's digest and compares it with the
newest entry that recorded one, so a value or a status edited in the database itself is
named; writers (review, reindex) refuse to build on a document whose state does not match,
so such an edit is not sealed in by the next entry.

Kept apart from :mod:`digitizer.store.audit` (the chain itself: entries, links, locks),
which re-exports :func:`document_state_digest` for the writers that call it there.

The digest uses no key: it shows a change made behind the program's back, not one made by
someone who also appends a well-formed entry recording the new state (see the README,
"What is protected, and how").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence

from sqlalchemy import DateTime, String, column, func, select, table
from sqlalchemy.orm import Session

from digitizer.store.models import AuditEntry, Document, Field

FieldState = tuple[str, str | None, str, str]  # name, value, status, origin


def canonical_json(content: object) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8 as it is (entries and states alike)."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def state_digest(document_id: str, status: str, doc_type: str, fields: Iterable[FieldState]) -> str:
    """The digest of a document's state: canonical JSON of its id, status, type and every
    field's name, value, status and origin (by name), SHA-256. The id is in it so that two
    documents' states can never stand in for each other."""
    content = {
        "v": 1,
        "document_id": document_id,
        "status": status,
        "doc_type": doc_type,
        "fields": [list(f) for f in sorted(fields, key=lambda f: f[0])],
    }
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _field_rows(session: Session, doc_ids: Sequence[str]) -> dict[str, list[FieldState]]:
    by_doc: dict[str, list[FieldState]] = {d: [] for d in doc_ids}
    rows = session.execute(
        select(Field.document_id, Field.name, Field.value, Field.status, Field.origin).where(
            Field.document_id.in_(doc_ids)
        )
    )
    for doc_id, name, value, status, origin in rows:
        by_doc[doc_id].append((name, value, status, origin))
    return by_doc


def document_state_digest(session: Session, document: Document) -> str:
    """The state digest of ``document`` as ``session`` holds it now (pending changes
    flushed first): what every writer records in its audit entry, and what ``check``
    recomputes."""
    session.flush()
    fields = _field_rows(session, [document.id])[document.id]
    return state_digest(document.id, document.status, document.doc_type, fields)


def state_digests(session: Session, documents: Sequence[tuple[str, str, str]]) -> dict[str, str]:
    """:func:`document_state_digest` of many documents ((id, status, doc_type) each) with
    one query for all their fields: for walks over every document."""
    fields = _field_rows(session, [d[0] for d in documents])
    return {d: state_digest(d, status, t, fields[d]) for d, status, t in documents}


def recorded_states(session: Session, doc_ids: Sequence[str]) -> dict[str, str]:
    """The state each document's newest entry with a state recorded (documents without
    one are absent), in one query."""
    if not doc_ids:
        return {}
    newest = (
        select(func.max(AuditEntry.id))
        .where(AuditEntry.document_id.in_(doc_ids), AuditEntry.state.is_not(None))
        .group_by(AuditEntry.document_id)
    )
    rows = session.execute(
        select(AuditEntry.document_id, AuditEntry.state).where(AuditEntry.id.in_(newest))
    )
    return {str(doc_id): str(state) for doc_id, state in rows}


def audited(session: Session, doc_ids: Sequence[str]) -> set[str]:
    """Which of the documents have any audit entry at all, in one query."""
    if not doc_ids:
        return set()
    query = select(AuditEntry.document_id).where(AuditEntry.document_id.in_(doc_ids)).distinct()
    return {str(d) for d in session.scalars(query)}


_REVISIONS = table(
    "store_revisions",  # made by migration 0007; not a model (nothing maps it)
    column("revision", String),
    column("reached_at", DateTime(timezone=True)),
)


def first_state_at(session: Session) -> dt.datetime | None:
    """When the first entry with a state was made (this version's first change)."""
    at = session.scalars(
        select(AuditEntry.at).where(AuditEntry.state.is_not(None)).order_by(AuditEntry.id).limit(1)
    ).first()
    return None if at is None else _aware(at)


def states_since(session: Session) -> dt.datetime | None:
    """Since when every document has a state entry: when the store reached revision 0006
    (recorded by migration 0007), or the first state entry if that is earlier, never later
    than now (a recorded time moved forward does not make new documents old). None: the
    record is gone, so no document counts as from before state entries by its age.

    Not the first state entry alone: deleting every entry would make every document old."""
    query = select(_REVISIONS.c.reached_at).where(_REVISIONS.c.revision == "0006")
    reached = session.scalars(query).first()
    if reached is None:
        return None
    first = first_state_at(session)
    return min(_aware(reached), first or _aware(reached), dt.datetime.now(dt.UTC))


def _aware(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def untied_is_legacy(
    created_at: dt.datetime | None, since: dt.datetime | None, has_entries: bool
) -> bool:
    """Whether a document without any state entry is from before state entries: created
    before ``since`` (:func:`states_since`), or with entries of its own that carry none
    (made by an older digitizer, or brought by ``store merge`` from such a store). A
    document created since with no entry at all was written behind the program's back."""
    if has_entries:
        return True
    return since is not None and created_at is not None and _aware(created_at) < since


def state_unchanged(session: Session, document: Document) -> bool:
    """Whether ``document``'s state is the one its newest entry recorded (or it has none:
    a document from before state entries). Writers check this before changing a document,
    so that a change made behind the program's back is not sealed in by the next entry."""
    recorded = recorded_states(session, [document.id]).get(document.id)
    return recorded is None or recorded == document_state_digest(session, document)
