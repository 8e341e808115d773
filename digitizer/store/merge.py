"""Bringing a workstation's store and archive into another store (``digitizer store merge``).

When an office moves from its own SQLite store to the province's PostgreSQL store, what it
digitized must come along: the documents with their pages, OCR words and fields (so lookup,
reuse and re-indexing work on them as on new ones), the signed PDFs, the dossiers, the reuse
events, the journal and the clerks' audit trail. Several workstations merge into one store,
so nothing is copied by its row number:

* units and dossiers are matched by their codes, and added when the target lacks them;
* a document is matched by its id (derived from the scan's content): one the target already
  has is left as it is, with everything under it;
* each signed PDF is copied into the target's archive and checked against the SHA-256 its
  record holds *before* the record is written; a document whose PDF is missing or changed is
  not merged, and is reported;
* the source's audit chain must verify first; its entries are appended to the target's chain
  with their own times, followed by one ``merge`` entry naming the source and its chain head.

A merge can be stopped and run again: whatever is already there is recognised and skipped.
The source's records and files are only read (opening it brings its schema to this
version, as any digitizer command does).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Row, Table, and_, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from digitizer.durable import fsync_dir
from digitizer.errors import StoreError
from digitizer.store import audit, progress
from digitizer.store.models import (
    AuditEntry,
    Document,
    Dossier,
    Field,
    JournalEntry,
    OcrWordRow,
    Page,
    ReuseEvent,
    Unit,
)
from digitizer.store.store import Store, shown_url

log = logging.getLogger(__name__)

BATCH_DOCUMENTS = 100
BATCH_ROWS = 1000
_COPY_CHUNK = 1 << 20


@dataclass(slots=True)
class MergeReport:
    units_added: int = 0
    dossiers_added: int = 0
    documents_added: int = 0
    documents_present: int = 0
    pdfs_copied: int = 0
    reuse_events_added: int = 0
    journal_entries_added: int = 0
    audit_entries_added: int = 0
    refused: list[str] = field(default_factory=list)  # "document id: why"

    @property
    def ok(self) -> bool:
        return not self.refused

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _table(model: type[Any]) -> Table:
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


def _values(row: Any, **overrides: Any) -> dict[str, Any]:
    """A row's columns for an insert into the target: no row number, times made explicit."""
    values = {k: as_utc(v) for k, v in row._mapping.items() if k != "id"}
    values.update(overrides)
    return values


def _batches(session: Session, model: type[Any]) -> Iterable[Sequence[Row[Any]]]:
    """Every row of a table with an integer id, in id order, a batch at a time."""
    table, after = _table(model), 0
    while True:
        rows = session.execute(
            select(table).where(table.c.id > after).order_by(table.c.id).limit(BATCH_ROWS)
        ).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def _insert(session: Session, model: type[Any], values: dict[str, Any]) -> int:
    """Insert one row; its new row number in the target."""
    table = _table(model)
    return int(session.execute(insert(table).values(values).returning(table.c.id)).scalar_one())


def copy_pdf(source: Path, target: Path, sha256: str) -> bool:
    """Copy a signed PDF durably, checking its hash on the way; False if it does not match.

    An identical file already at ``target`` is kept (a merge run again).
    """
    if target.exists() and _sha256_of(target) == sha256:
        return True
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.merge")
    digest = hashlib.sha256()
    try:
        with source.open("rb") as src, partial.open("wb") as dst:
            while chunk := src.read(_COPY_CHUNK):
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        if digest.hexdigest() != sha256:
            return False
        os.replace(partial, target)
        fsync_dir(target.parent)
        return True
    finally:
        partial.unlink(missing_ok=True)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class StoreMerge:
    """One merge of ``source`` (and its archive) into ``target`` (and its archive)."""

    def __init__(
        self,
        source: Store,
        target: Store,
        target_archive: Path,
        source_archive: Path | None = None,
    ) -> None:
        """``source_archive``: where the source's PDFs are now, when its home was copied or
        moved since they were recorded (a record's own path is tried first)."""
        self.source = source
        self.target = target
        self.target_archive = target_archive
        self.source_archive = source_archive
        self.report = MergeReport()
        self._units: dict[int, int] = {}
        self._dossiers: dict[int, int] = {}

    def run(self, on_document: Callable[[], None] | None = None) -> MergeReport:
        broken = audit.verify_chain(self.source)
        if broken is not None:
            raise StoreError(
                f"the source's audit chain is broken at entry {broken.entry_id} "
                f"({broken.reason}): merge refused; see 'digitizer audit verify'"
            )
        try:
            self._merge_units()
            self._merge_dossiers()
            self._merge_documents(on_document)
            self._merge_reuse_events()
            self._merge_journal()
            self._merge_audit()
        except SQLAlchemyError as exc:
            raise StoreError(
                f"merge stopped: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}; "
                "what was merged stays, run it again to finish"
            ) from exc
        return self.report

    def documents_to_merge(self) -> int:
        with self.source.session() as s:
            return int(s.scalar(select(func.count()).select_from(Document)) or 0)

    # ----------------------------------------------------------------- by code

    def _merge_units(self) -> None:
        with self.source.session() as src, self.target.session() as dst, dst.begin():
            for rows in _batches(src, Unit):
                # matched in Python: valid_from may be NULL, which SQL's = never matches
                found = {
                    (r.code, r.level, r.valid_from): r.id
                    for r in dst.execute(
                        select(Unit.id, Unit.code, Unit.level, Unit.valid_from).where(
                            Unit.code.in_({r.code for r in rows})
                        )
                    )
                }
                for row in rows:
                    new_id = found.get((row.code, row.level, row.valid_from))
                    if new_id is None:
                        new_id = _insert(dst, Unit, _values(row))
                        self.report.units_added += 1
                    self._units[row.id] = new_id

    def _merge_dossiers(self) -> None:
        with self.source.session() as src:
            for rows in _batches(src, Dossier):
                with self.target.session() as dst, dst.begin():
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
                            values = _values(row, unit_id=self._units.get(row.unit_id))
                            new_id = _insert(dst, Dossier, values)
                            self.report.dossiers_added += 1
                        self._dossiers[row.id] = new_id

    # ----------------------------------------------------------------- documents

    def _merge_documents(self, on_document: Callable[[], None] | None) -> None:
        after = ""
        documents = _table(Document)
        with self.source.session() as src:
            while True:
                rows = src.execute(
                    select(documents)
                    .where(documents.c.id > after)
                    .order_by(documents.c.id)
                    .limit(BATCH_DOCUMENTS)
                ).all()
                if not rows:
                    return
                after = rows[-1].id
                with self.target.session() as dst:
                    present = set(
                        dst.scalars(
                            select(Document.id).where(Document.id.in_([r.id for r in rows]))
                        )
                    )
                for row in rows:
                    if row.id in present:
                        self.report.documents_present += 1
                    else:
                        self._merge_document(src, row)
                    if on_document is not None:
                        on_document()

    def _merge_document(self, src: Session, row: Any) -> None:
        pdf = self.target_archive / row.id[:2] / f"{row.id}.pdf"
        source_pdf = Path(row.output_path)
        if not source_pdf.exists() and self.source_archive is not None:
            source_pdf = self.source_archive / row.id[:2] / f"{row.id}.pdf"
        try:
            copied = copy_pdf(source_pdf, pdf, row.output_sha256)
        except OSError as exc:
            self.report.refused.append(f"{row.id}: its PDF {row.output_path}: {exc.strerror}")
            return
        if not copied:
            self.report.refused.append(
                f"{row.id}: its PDF {row.output_path} does not match its recorded SHA-256"
            )
            return
        self.report.pdfs_copied += 1
        try:
            self._insert_document(src, row, pdf)
        except IntegrityError:  # registered meanwhile by a worker of the target store
            self.report.documents_present += 1
            return
        self.report.documents_added += 1

    def _insert_document(self, src: Session, row: Any, pdf: Path) -> None:
        """The document with its pages, words and fields, in one transaction."""
        dossier_id = self._dossiers.get(row.dossier_id)
        with self.target.session() as dst, dst.begin():
            dst.execute(
                insert(Document).values(
                    _values(row, unit_id=self._units.get(row.unit_id), dossier_id=dossier_id)
                    | {"id": row.id, "output_path": str(pdf)}
                )
            )
            for page in src.execute(
                select(_table(Page)).where(Page.document_id == row.id).order_by(Page.page_no)
            ).all():
                page_id = _insert(dst, Page, _values(page))
                words = src.execute(
                    select(_table(OcrWordRow))
                    .where(OcrWordRow.page_id == page.id)
                    .order_by(OcrWordRow.seq)
                ).all()
                if words:
                    dst.execute(insert(OcrWordRow), [_values(w, page_id=page_id) for w in words])
            fields = src.execute(select(_table(Field)).where(Field.document_id == row.id)).all()
            if fields:
                dst.execute(insert(Field), [_values(f) for f in fields])
            progress.refresh(dst, dossier_id)

    # ----------------------------------------------------------------- events

    def _merge_reuse_events(self) -> None:
        with self.source.session() as src:
            for rows in _batches(src, ReuseEvent):
                with self.target.session() as dst, dst.begin():
                    known = set(
                        dst.scalars(
                            select(Document.id).where(
                                Document.id.in_({r.document_id for r in rows})
                            )
                        )
                    )
                    for row in rows:
                        dossier_id = self._dossiers.get(row.dossier_id)
                        if row.document_id not in known:
                            continue  # its document was refused
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
                        if same:
                            continue
                        dst.execute(insert(ReuseEvent).values(_values(row, dossier_id=dossier_id)))
                        progress.refresh(dst, dossier_id)
                        self.report.reuse_events_added += 1

    def _merge_journal(self) -> None:
        with self.source.session() as src:
            for rows in _batches(src, JournalEntry):
                times = [as_utc(r.at) for r in rows]  # not in id order if a clock stepped
                first, last = min(times), max(times)
                with self.target.session() as dst, dst.begin():
                    there = {
                        (as_utc(r.at), r.source_path, r.event, r.sha256)
                        for r in dst.execute(
                            select(
                                JournalEntry.at,
                                JournalEntry.source_path,
                                JournalEntry.event,
                                JournalEntry.sha256,
                            ).where(JournalEntry.at.between(first, last))
                        )
                    }
                    new = [
                        _values(r)
                        for r in rows
                        if (as_utc(r.at), r.source_path, r.event, r.sha256) not in there
                    ]
                    if new:
                        dst.execute(insert(JournalEntry), new)
                        self.report.journal_entries_added += len(new)

    def _merge_audit(self) -> None:
        """Append the source's entries the target's chain lacks, each re-linked to the
        target's chain (its content and time unchanged), then one ``merge`` entry."""
        report = audit.verify_chain_report(self.source)
        added = 0
        with self.source.session() as src, self.target.session() as dst, dst.begin():
            audit.lock_chain(dst)
            for rows in _batches(src, AuditEntry):
                times = [as_utc(r.at) for r in rows]
                there = {
                    _audit_key(e)
                    for e in dst.scalars(
                        select(AuditEntry).where(AuditEntry.at.between(min(times), max(times)))
                    )
                }
                for row in rows:
                    if _audit_key(row) in there:
                        continue
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
                    added += 1
            if added:
                audit.append(
                    dst,
                    actor="digitizer store merge",
                    action="merge",
                    new_value=(
                        f"{added} entries from {shown_url(self.source.url)}, "
                        f"whose chain of {report.entries} ended at {report.head}"
                    ),
                )
        self.report.audit_entries_added = added


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
