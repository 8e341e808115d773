"""The audit chain: every change a person makes, hash-linked so that tampering shows.

Each entry stores ``prev_hash`` (the previous entry's ``hash``, :data:`GENESIS` for the first)
and ``hash`` = SHA-256 over a canonical serialisation of its own content and ``prev_hash``.
Changing an entry breaks its own hash; deleting or reordering one breaks the next entry's
``prev_hash``. (Cutting entries off the *end* leaves a valid shorter chain: publish or write
down the head hash that ``digitizer audit verify`` prints to catch that too.)

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
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from digitizer.store.models import AuditEntry, utcnow
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
    """What :func:`verify_chain_report` found: entries checked, the head hash, any break."""

    entries: int
    head: str
    broken: BrokenLink | None


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
) -> bytes:
    """The bytes an entry's hash covers (see the module docstring)."""
    content = {
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
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


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
) -> AuditEntry:
    """Add an entry to the chain inside ``session``'s transaction (the caller commits).

    Takes the chain lock (idempotent within a transaction), reads the last entry and links
    the new one to it. ``at`` is now, except for an entry brought from another store's
    verified chain (:mod:`digitizer.store.merge`), which keeps the time it was made.
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
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    log.info(
        "audit entry %d: %s by a clerk on document %s field %s",
        entry.id,
        action,
        document_id,
        field_name,
    )
    return entry


def record(store: Store, **content: str | None) -> AuditEntry:
    """Append one entry in its own transaction (for changes that are nothing else)."""
    with store.session() as s, s.begin():
        return append(s, **content)  # type: ignore[arg-type]


def _entries(store: Store, batch: int = 1000) -> Iterator[AuditEntry]:
    """Every entry in chain order, a batch at a time (bounded memory on long chains)."""
    after = 0
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


def verify_chain_report(store: Store) -> ChainReport:
    """Walk the chain from the genesis: the first entry that breaks it, or None."""
    expected_prev = GENESIS
    count = 0
    previous_id: int | None = None
    for entry in _entries(store):
        count += 1
        if entry.prev_hash != expected_prev:
            after = f"entry {previous_id}" if previous_id is not None else "the genesis"
            return ChainReport(
                count,
                expected_prev,
                BrokenLink(
                    entry.id,
                    f"its prev_hash is not the hash of {after}: an entry before it was "
                    "deleted, inserted or changed",
                ),
            )
        if entry_hash(entry) != entry.hash:
            return ChainReport(
                count,
                expected_prev,
                BrokenLink(entry.id, "its content does not match its hash: it was changed"),
            )
        expected_prev = entry.hash
        previous_id = entry.id
    return ChainReport(count, expected_prev, None)


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
