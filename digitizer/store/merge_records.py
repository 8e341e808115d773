"""The records around the documents in a merge: units, dossiers, reuse events, journal, audit.

Several workstations merge into one store, so nothing is copied by its row number: units
and dossiers are matched by their codes, events and entries by what tells them apart, and
a merge run again adds nothing twice. The source is not trusted here either:

* a unit code the target already has is the target's: the source never adds another row
  for it (another name, or another validity that would make it the code's unit of today);
  the source's documents and dossiers of that code take the target's unit;
* a reuse event or an audit entry about a document is copied only when that document is
  one of the source's own, merged now or already there: a hostile source cannot add clerks'
  history or reuses to documents the target alone has;
* only the audit entries of the chain that was verified are copied, each re-linked onto the
  target's chain (its content and time unchanged), followed by one ``merge`` entry.

Each function returns what it added, for the merge's report.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Table, and_, func, insert, select
from sqlalchemy.orm import Session

from digitizer.store import audit, progress
from digitizer.store.models import AuditEntry, Document, Dossier, JournalEntry, ReuseEvent, Unit
from digitizer.store.store import Store, shown_url

log = logging.getLogger(__name__)

BATCH_ROWS = 1000


def table_of(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def as_utc(value: Any) -> Any:
    """SQLite hands times back without their zone: they are UTC. PostgreSQL must be told so,
    or it would read them in its session's zone (and the audit hashes would not hold)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)  # a server in another zone: the same instant, in UTC
    return value


def values_of(row: Any, **overrides: Any) -> dict[str, Any]:
    """A row's columns for an insert into the target: no row number, times made explicit."""
    values = {k: as_utc(v) for k, v in row._mapping.items() if k != "id"}
    values.update(overrides)
    return values


def batches(
    session: Session, model: type[Any], until: int | None = None
) -> Iterable[Sequence[Row[Any]]]:
    """Every row of a table with an integer id (up to ``until``), in id order, a batch at
    a time."""
    table, after = table_of(model), 0
    while True:
        query = select(table).where(table.c.id > after)
        if until is not None:
            query = query.where(table.c.id <= until)
        rows = session.execute(query.order_by(table.c.id).limit(BATCH_ROWS)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def insert_row(session: Session, model: type[Any], values: dict[str, Any]) -> int:
    """Insert one row; its new row number in the target."""
    table = table_of(model)
    return int(session.execute(insert(table).values(values).returning(table.c.id)).scalar_one())


def in_scope(src: Session, dst: Session, doc_ids: Iterable[str | None]) -> set[str]:
    """Of ``doc_ids``, the documents the source has and the target has too (merged now, or
    already there): the only ones the source's events and entries may speak of."""
    wanted = {d for d in doc_ids if d is not None}
    if not wanted:
        return set()
    of_source = set(src.scalars(select(Document.id).where(Document.id.in_(wanted))))
    if not of_source:
        return set()
    return set(dst.scalars(select(Document.id).where(Document.id.in_(of_source))))


# ----------------------------------------------------------------- by code


def merge_units(source: Store, target: Store) -> tuple[dict[int, int], int]:
    """The target's unit for each source unit (source id → target id), and how many units
    were added (those of codes the target did not have)."""
    mapping: dict[int, int] = {}
    added = 0
    with source.session() as src, target.session() as dst, dst.begin():
        had = set(dst.scalars(select(Unit.code).distinct()))  # the target's codes, before
        for rows in batches(src, Unit):
            there: dict[str, list[Any]] = {}
            for unit in dst.execute(
                select(Unit.id, Unit.code, Unit.level, Unit.valid_from, Unit.valid_to).where(
                    Unit.code.in_({r.code for r in rows})
                )
            ):
                there.setdefault(unit.code, []).append(unit)
            for row in rows:
                candidates = there.get(row.code, [])
                exact = _same_key(candidates, row)
                if row.code in had:  # the target's own code: never changed by the source
                    mapping[row.id] = exact if exact is not None else _current(candidates, row)
                elif exact is not None:  # matched in Python: SQL's = never matches NULL
                    mapping[row.id] = exact
                else:
                    mapping[row.id] = insert_row(dst, Unit, values_of(row))
                    added += 1
    return mapping, added


def _same_key(candidates: Sequence[Row[Any]], row: Any) -> int | None:
    """The target's unit with the row's code, level and validity start, if any."""
    for unit in candidates:
        if (unit.level, unit.valid_from) == (row.level, row.valid_from):
            return int(unit.id)
    return None


def _current(candidates: Sequence[Row[Any]], row: Any) -> int:
    """The target's unit of today for the row's code (of the row's level when it has one),
    as :class:`digitizer.units.UnitIndex` resolves a code."""
    pool = [u for u in candidates if u.level == row.level] or list(candidates)
    pool = [u for u in pool if u.valid_to is None] or pool
    unit = max(pool, key=lambda u: (u.valid_from or dt.date.min, u.valid_to or dt.date.max))
    log.info("unit %s: the target's own unit is kept, not the workstation's", unit.code)
    return int(unit.id)


def merge_dossiers(
    source: Store, target: Store, units: dict[int, int]
) -> tuple[dict[int, int], int]:
    """The target's dossier for each source dossier (matched by code), and how many were
    added."""
    mapping: dict[int, int] = {}
    added = 0
    with source.session() as src:
        for rows in batches(src, Dossier):
            with target.session() as dst, dst.begin():
                found = dict(
                    dst.execute(
                        select(Dossier.code, Dossier.id).where(
                            Dossier.code.in_([r.code for r in rows])
                        )
                    ).all()
                )
                for row in rows:
                    new_id = found.get(row.code)
                    if new_id is None:
                        new_id = insert_row(
                            dst, Dossier, values_of(row, unit_id=units.get(row.unit_id))
                        )
                        added += 1
                    mapping[row.id] = new_id
    return mapping, added


# ----------------------------------------------------------------- events


def merge_reuse_events(source: Store, target: Store, dossiers: dict[int, int]) -> tuple[int, int]:
    """Copy the reuse events of the source's merged documents; (added, out of scope)."""
    added = skipped = 0
    with source.session() as src:
        for rows in batches(src, ReuseEvent):
            with target.session() as dst, dst.begin():
                known = in_scope(src, dst, (r.document_id for r in rows))
                for row in rows:
                    if row.document_id not in known:
                        skipped += 1  # its document was refused, or is not the source's
                        continue
                    dossier_id = dossiers.get(row.dossier_id)
                    if _has_reuse(dst, row, dossier_id):
                        continue
                    dst.execute(insert(ReuseEvent).values(values_of(row, dossier_id=dossier_id)))
                    progress.refresh(dst, dossier_id)
                    added += 1
    return added, skipped


def _has_reuse(dst: Session, row: Any, dossier_id: int | None) -> bool:
    same = dst.scalar(
        select(func.count())
        .select_from(ReuseEvent)
        .where(
            and_(
                ReuseEvent.document_id == row.document_id,
                ReuseEvent.dossier_id.is_(None)
                if dossier_id is None
                else ReuseEvent.dossier_id == dossier_id,
                ReuseEvent.at == as_utc(row.at),
                ReuseEvent.actor == row.actor,
            )
        )
    )
    return bool(same)


def merge_journal(source: Store, target: Store) -> int:
    """Copy the journal entries the target lacks; how many."""
    added = 0
    with source.session() as src:
        for rows in batches(src, JournalEntry):
            times = [as_utc(r.at) for r in rows]  # not in id order if a clock stepped
            with target.session() as dst, dst.begin():
                there = {
                    (as_utc(r.at), r.source_path, r.event, r.sha256)
                    for r in dst.execute(
                        select(
                            JournalEntry.at,
                            JournalEntry.source_path,
                            JournalEntry.event,
                            JournalEntry.sha256,
                        ).where(JournalEntry.at.between(min(times), max(times)))
                    )
                }
                new = [
                    values_of(r)
                    for r in rows
                    if (as_utc(r.at), r.source_path, r.event, r.sha256) not in there
                ]
                if new:
                    dst.execute(insert(JournalEntry), new)
                    added += len(new)
    return added


def merge_audit(source: Store, target: Store, chain: audit.ChainReport) -> tuple[int, int]:
    """Append the entries of the source's verified ``chain`` the target's chain lacks, each
    re-linked to the target's chain (its content and time unchanged), then one ``merge``
    entry; (added, out of scope)."""
    added = skipped = 0
    with source.session() as src, target.session() as dst, dst.begin():
        audit.lock_chain(dst)
        for rows in batches(src, AuditEntry, until=chain.last_id):
            known = in_scope(src, dst, (r.document_id for r in rows))
            times = [as_utc(r.at) for r in rows]
            there = {
                _audit_key(e)
                for e in dst.scalars(
                    select(AuditEntry).where(AuditEntry.at.between(min(times), max(times)))
                )
            }
            for row in rows:
                if row.document_id is not None and row.document_id not in known:
                    skipped += 1  # about a refused document, or one the target alone has
                elif _audit_key(row) not in there:
                    _append_copy(dst, row)
                    added += 1
        if added:
            audit.append(
                dst,
                actor="digitizer store merge",
                action="merge",
                new_value=(
                    f"{added} entries from {shown_url(source.url)}, "
                    f"whose chain of {chain.entries} ended at {chain.head}"
                ),
            )
    return added, skipped


def _append_copy(dst: Session, row: Any) -> None:
    audit.append(
        dst,
        actor=row.actor,
        action=row.action,
        document_id=row.document_id,
        field_name=row.field_name,
        old_value=row.old_value,
        new_value=row.new_value,
        at=as_utc(row.at),
    )


def _audit_key(entry: Any) -> tuple[Any, ...]:
    """What tells one clerk's action from another, whatever chain it is linked into."""
    return (
        as_utc(entry.at),
        entry.actor,
        entry.action,
        entry.document_id,
        entry.field_name,
        entry.new_value,
    )
