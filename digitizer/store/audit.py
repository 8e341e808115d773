"""The audit chain: every change a person makes, hash-linked so that tampering shows.

Each entry stores ``prev_hash`` (the previous entry's ``hash``, :data:`GENESIS` for the first)
and ``hash`` = SHA-256 over a canonical serialisation of its own content and ``prev_hash``.
Changing an entry breaks its own hash; deleting or reordering one breaks the next entry's
``prev_hash``. Cutting entries off the *end*, or re-hashing the whole chain after a change,
leaves a chain that holds by itself: :mod:`digitizer.seal` catches those, with the chain's
head signed into a file outside the database.

An entry about a document also carries ``state``: the digest of the state the change left
the document in (:mod:`digitizer.store.audit_state`, which ``digitizer check`` compares
with each document). The entry's hash covers ``state`` (form ``"v": 2``); entries without
one keep the form of the first version (``"v": 1``), so chains made before still verify.

The serialisation is defined on values, not on how a database returns them, so the same
entry hashes alike on SQLite and PostgreSQL: JSON with sorted keys and no spaces, UTF-8,
strings as stored, the time in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (SQLite returns the
stored time without a zone, PostgreSQL as an aware ``timestamptz``; both keep microseconds).

Appending is serialised: two writers that both read the same last entry would fork the
chain. :func:`lock_chain` takes the chain's write lock inside the caller's transaction
before the last entry is read — ``LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE`` on
PostgreSQL (self-conflicting, readers still read), and on SQLite a no-op ``UPDATE`` on the
audit table, which makes the driver open the transaction and take SQLite's single write lock
at once (what ``BEGIN IMMEDIATE`` does; with WAL and ``busy_timeout`` the second writer
waits). Callers that change other rows together with the entry (a clerk's correction) take
the lock first, so the check of the current value and the change are serialised too.

Log lines name entries by id, action, document and field only: values may be personal IDs
or names (Decree 13/2023), and belong in the store, not in logs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from digitizer.store.audit_state import canonical_json
from digitizer.store.audit_state import (  # writers call it as audit.document_state_digest
    document_state_digest as document_state_digest,
)
from digitizer.store.models import AuditEntry, utcnow

if TYPE_CHECKING:  # the store module registers documents with an entry: no import cycle
    from digitizer.store.store import Store

log = logging.getLogger(__name__)

GENESIS = "0" * 64  # the prev_hash of the first entry
_ACTION_MAX = 32
_ACTOR_MAX = 64


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first entry where the chain does not hold, and why (one line)."""

    entry_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What :func:`verify_chain_report` found: entries checked, the head hash, any break,
    and the (id, hash) of the entries at the positions asked for (1 = the first entry)."""

    entries: int
    head: str
    broken: BrokenLink | None
    at: dict[int, tuple[int, str]] = field(default_factory=dict)
    last_id: int = 0


def utc_iso(at: dt.datetime) -> str:
    """The canonical time: UTC, microseconds, ``Z``; a naive time (SQLite) is UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    document_id: str | None,
    field_name: str | None,
    old_value: str | None,
    new_value: str | None,
    prev_hash: str,
    state: str | None = None,
) -> bytes:
    """The bytes an entry's hash covers (see the module docstring)."""
    content: dict[str, object] = {
        "v": 1,
        "at": utc_iso(at),
        "actor": actor,
        "action": action,
        "document_id": document_id,
        "field_name": field_name,
        "old_value": old_value,
        "new_value": new_value,
        "prev_hash": prev_hash,
    }
    if state is not None:
        content.update(v=2, state=state)
    return canonical_json(content)


def entry_hash(entry: AuditEntry) -> str:
    """The hash an entry should carry, recomputed from its stored content."""
    return hashlib.sha256(
        canonical(
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            document_id=entry.document_id,
            field_name=entry.field_name,
            old_value=entry.old_value,
            new_value=entry.new_value,
            prev_hash=entry.prev_hash,
            state=entry.state,
        )
    ).hexdigest()


def lock_chain(session: Session) -> None:
    """Take the chain's write lock for the rest of ``session``'s transaction."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE"))
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit SET id = id WHERE 0 = 1"))
    else:  # other servers: lock the last row (an empty chain is then not protected)
        session.execute(
            select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1).with_for_update()
        )


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    document_id: str | None = None,
    field_name: str | None = None,
    old_value: str | None = None,
    new_value: str | None = None,
    at: dt.datetime | None = None,
    state: str | None = None,
) -> AuditEntry:
    """Add an entry to the chain inside ``session``'s transaction (the caller commits).

    Takes the chain lock (idempotent within a transaction), reads the last entry and links
    the new one to it. ``at`` is now, except for an entry brought from another store's
    verified chain (:mod:`digitizer.store.merge`), which keeps the time it was made.
    ``state``: :func:`~digitizer.store.audit_state.document_state_digest` of the document
    after the change, for every change of a document's status, type or fields.
    """
    if not actor.strip() or len(actor) > _ACTOR_MAX:
        raise ValueError(f"an audit actor is 1 to {_ACTOR_MAX} characters")
    if not action or len(action) > _ACTION_MAX:
        raise ValueError(f"an audit action is 1 to {_ACTION_MAX} characters")
    lock_chain(session)
    last = session.scalars(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev = last or GENESIS
    # microseconds are the finest both SQLite and PostgreSQL keep
    at = at or utcnow()
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        document_id=document_id,
        field_name=field_name,
        old_value=old_value,
        new_value=new_value,
        prev_hash=prev,
        state=state,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    log.info(
        "audit entry %d: %s by %s on document %s field %s",
        entry.id,
        action,
        "the pipeline" if actor == "pipeline" else "a clerk",
        document_id,
        field_name,
    )
    return entry


def record(store: Store, **content: str | None) -> AuditEntry:
    """Append one entry in its own transaction (for changes that are nothing else)."""
    with store.session() as s, s.begin():
        return append(s, **content)  # type: ignore[arg-type]


def _entries(store: Store, batch: int = 1000, after: int = 0) -> Iterator[AuditEntry]:
    """Every entry (after id ``after``) in chain order, a batch at a time (bounded memory
    on long chains)."""
    with store.session() as s:
        while True:
            rows = list(
                s.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.id > after)
                    .order_by(AuditEntry.id)
                    .limit(batch)
                )
            )
            if not rows:
                return
            yield from rows
            after = rows[-1].id
            s.expunge_all()


def _break_at(entry: AuditEntry, expected_prev: str, previous_id: int | None) -> BrokenLink | None:
    """Why ``entry`` does not continue the chain whose last hash is ``expected_prev``."""
    if entry.prev_hash != expected_prev:
        after = f"entry {previous_id}" if previous_id is not None else "the genesis"
        return BrokenLink(
            entry.id,
            f"its prev_hash is not the hash of {after}: an entry before it was "
            "deleted, inserted or changed",
        )
    if entry_hash(entry) != entry.hash:
        return BrokenLink(entry.id, "its content does not match its hash: it was changed")
    return None


def verify_chain_report(store: Store, at_positions: Collection[int] = ()) -> ChainReport:
    """Walk the whole chain from the genesis: how many entries, the first one that breaks
    it (or None), the head, and the (id, hash) of the entries at ``at_positions`` (what a
    seal recorded: :mod:`digitizer.seal`). The walk goes on after a break, so that the
    count and the positions are those of the whole table."""
    expected_prev = GENESIS
    count = 0
    previous_id: int | None = None
    wanted = set(at_positions)
    seen: dict[int, tuple[int, str]] = {}
    broken: BrokenLink | None = None
    for entry in _entries(store):
        count += 1
        if count in wanted:
            seen[count] = (entry.id, entry.hash)
        if broken is None:
            broken = _break_at(entry, expected_prev, previous_id)
        expected_prev, previous_id = entry.hash, entry.id
    return ChainReport(count, expected_prev, broken, seen, previous_id or 0)


def verify_since(store: Store, last_id: int, last_hash: str) -> BrokenLink | None:
    """Whether the entries after ``last_id`` (whose hash is ``last_hash``) continue the
    chain: the cheap check before sealing what came since the last seal."""
    previous_id: int | None = last_id or None
    for entry in _entries(store, after=last_id):
        broken = _break_at(entry, last_hash, previous_id)
        if broken is not None:
            return broken
        last_hash, previous_id = entry.hash, entry.id
    return None


def chain_head(session: Session) -> tuple[int, int, str]:
    """(entries, last id, last hash) of the chain now; (0, 0, GENESIS) when empty."""
    last = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    if last is None:
        return 0, 0, GENESIS
    return position_of(session, last[0]), int(last[0]), str(last[1])


def position_of(session: Session, entry_id: int) -> int:
    """The position (1 = first) an entry with this id has in the chain."""
    query = select(func.count()).select_from(AuditEntry).where(AuditEntry.id <= entry_id)
    return int(session.scalar(query) or 0)


def verify_chain(store: Store) -> BrokenLink | None:
    """The first broken entry (id and reason), or None when the whole chain holds."""
    return verify_chain_report(store).broken


def entries_of(store: Store, document_id: str | None = None) -> list[AuditEntry]:
    """The entries (of one document, or all), oldest first: for ``digitizer audit show``."""
    with store.session() as s:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if document_id is not None:
            query = query.where(AuditEntry.document_id == document_id)
        return list(s.scalars(query))
