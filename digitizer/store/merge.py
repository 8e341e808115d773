"""Bringing a workstation's store and archive into another store (``digitizer store merge``).

When an office moves from its own SQLite store to the province's PostgreSQL store, what it
digitized must come along: the documents with their pages, OCR words and fields (so lookup,
reuse and re-indexing work on them as on new ones), the signed PDFs, the dossiers, the reuse
events, the journal and the clerks' audit trail. Several workstations merge into one store,
so nothing is copied by its row number:

* units and dossiers are matched by their codes, and added when the target lacks them;
* a document is matched by its id (derived from the scan's content): one the target already
  has is left as it is, with everything under it;
* the source is not trusted (:mod:`digitizer.store.merge_checks`): a document's id must be
  one the product makes, its PDF is read only from the source home's archive folder, and
  the copy must match the SHA-256 its record holds and be a validly signed PDF/A of that very
  document *before* the record is written; a document that fails any of this is not merged,
  and is reported with the reason, and the merge goes on;
* the source's audit chain must verify first; its entries are appended to the target's chain
  with their own times, followed by one ``merge`` entry naming the source and its chain head.

A merge can be stopped and run again: whatever is already there is recognised and skipped.
The source's records and files are only read (opening it brings its schema to this
version, as any digitizer command does).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Row, Table, and_, func, insert, select
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from digitizer.config import Layout
from digitizer.errors import ConfigurationError, StoreError
from digitizer.store import audit, progress
from digitizer.store.merge_checks import (
    MAX_PDF_BYTES,
    Refused,
    check_identity,
    copy_checked_pdf,
    load_trust_roots,
    shown,
)
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


class StoreMerge:
    """One merge of ``source`` (and its archive) into ``target`` (and its archive)."""

    def __init__(
        self,
        source: Store,
        target: Store,
        target_archive: Path,
        source_archive: Path,
        *,
        trust_roots: Sequence[Any] | None = None,
        max_pdf_bytes: int = MAX_PDF_BYTES,
    ) -> None:
        """``source_archive``: the source home's ``archive/`` folder, the only place its PDFs
        are read from (a home copied from another machine has them there, whatever its
        records say). ``trust_roots``: the CA certificates (asn1crypto) every merged PDF's
        signature must chain to; by default the demo CAs of this home and of the source's.
        ``max_pdf_bytes``: a larger PDF is refused unread."""
        self.source = source
        self.target = target
        self.target_archive = target_archive
        self.source_archive = source_archive
        self.trust_roots = trust_roots
        self.max_pdf_bytes = max_pdf_bytes
        # the target's own layout: its rule names every PDF merged into its archive
        self._layout = Layout(home=target_archive.parent, config_root=target_archive.parent)
        if self._layout.archive != target_archive:
            raise ConfigurationError(f"{target_archive}: not the archive folder of a home")
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
        """Check one source document, copy its PDF, then write its records; a refusal is a
        line of the report and the merge goes on."""
        from digitizer.commit import output_path  # heavy: the pipeline's imports

        try:
            check_identity(row)
            pdf = output_path(self._layout, row.id)  # the target's rule, never the source's
            existed = pdf.exists()
            copy_checked_pdf(
                self.source_archive,
                pdf,
                row.id,
                row.output_sha256,
                self._roots(),
                self.max_pdf_bytes,
            )
        except Refused as why:
            self.report.refused.append(f"{shown(row.id)}: {why}")
            return
        self.report.pdfs_copied += 1
        try:
            self._insert_document(src, row, pdf)
        except (IntegrityError, DataError) as exc:
            if self._target_has(row.id):  # registered meanwhile by a worker of the target
                self.report.documents_present += 1
                return
            first = shown(str(exc.orig).splitlines()[0] if str(exc.orig) else exc, 200)
            self.report.refused.append(
                f"{row.id}: its records do not fit the target store ({first}): not merged"
            )
            if not existed:  # no signed PDF is left in the archive without its record
                pdf.unlink(missing_ok=True)
            return
        self.report.documents_added += 1

    def _roots(self) -> Sequence[Any]:
        if self.trust_roots is None:
            self.trust_roots = load_trust_roots(self._layout.home, self.source_archive.parent)
            log.info("signatures checked against the demo CAs of both homes")
        return self.trust_roots

    def _target_has(self, document_id: str) -> bool:
        with self.target.session() as dst:
            return dst.get(Document, document_id) is not None

    def _insert_document(self, src: Session, row: Any, pdf: Path) -> None:
        """The document with its pages, words and fields, in one transaction."""
        dossier_id = self._dossiers.get(row.dossier_id)
        with self.target.session() as dst, dst.begin():
            audit.lock_chain(dst)  # first, in the order clerks and registration take locks
            dst.execute(
                insert(Document).values(
                    _values(row, unit_id=self._units.get(row.unit_id), dossier_id=dossier_id)
                    | {"id": row.id, "output_path": self._layout.recorded(pdf)}
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
            merged = dst.get(Document, row.id)
            assert merged is not None
            audit.append(
                dst,
                actor="digitizer store merge",
                action="merged",
                document_id=row.id,
                state=audit.document_state_digest(dst, merged),
            )

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
