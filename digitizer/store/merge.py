"""Bringing a workstation's store and archive into another store (``digitizer store merge``).

When an office moves from its own SQLite store to the province's PostgreSQL store, what it
digitized must come along: the documents with their pages, OCR words and fields (so lookup,
reuse and re-indexing work on them as on new ones), the signed PDFs, the dossiers, the reuse
events, the journal and the clerks' audit trail. Several workstations merge into one store,
so nothing is copied by its row number:

* units and dossiers are matched by their codes, and added when the target lacks them
  (:mod:`digitizer.store.merge_records`, with the events, the journal and the audit trail);
* a document is matched by its id (derived from the scan's content): one the target already
  has is left as it is, with everything under it;
* the source is not trusted (:mod:`digitizer.store.merge_checks`): its audit chain, and its
  seal when it has one, must verify first; a document's id must be one the product makes,
  its state the one its audit trail recorded, its PDF is read only from the source home's
  archive folder, and the copy must match the SHA-256 its record holds and be a validly
  signed PDF/A of that very document, chaining to a CA the target trusts, *before* the
  record is written; a document that fails any of this is not merged, and is reported with
  the reason, and the merge goes on;
* each document is merged under its content's claim (:class:`digitizer.claims.ContentClaims`),
  so a watcher or worker of the target digitizing the same content meanwhile never writes
  its signed PDF over the merged one (the document is refused, to merge again later);
* the source's audit entries are appended to the target's chain with their own times,
  followed by one ``merge`` entry naming the source and its chain head; each merged document
  gets a ``merged`` entry tying its state.

A merge can be stopped and run again: whatever is already there is recognised and skipped.
The source's records and files are only read (opening it brings its schema to this
version, as any digitizer command does).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from digitizer.claims import ContentClaims
from digitizer.config import Layout
from digitizer.errors import StoreError
from digitizer.store import audit, audit_state, progress
from digitizer.store.merge_checks import (
    MAX_PDF_BYTES,
    Refused,
    bounded,
    check_identity,
    check_state,
    copy_checked_pdf,
    verify_source_chain,
)
from digitizer.store.merge_records import (
    insert_row,
    merge_audit,
    merge_dossiers,
    merge_journal,
    merge_reuse_events,
    merge_units,
    table_of,
    values_of,
)
from digitizer.store.models import Document, Field, OcrWordRow, Page
from digitizer.store.store import Store

log = logging.getLogger(__name__)

BATCH_DOCUMENTS = 100
BUSY = "being digitized now on this home: run the merge again later"


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
    not_tied: int = 0  # merged without a state entry in the source (an older workstation)
    out_of_scope: int = 0  # events and entries about documents not merged from the source
    refused: list[str] = field(default_factory=list)  # "document id: why"

    @property
    def ok(self) -> bool:
        return not self.refused

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _States:
    """A batch of source documents' states: as they are, and as their chain recorded them."""

    current: dict[str, str]
    recorded: dict[str, str]


class StoreMerge:
    """One merge of ``source`` (and its home's archive) into ``target`` (and its archive)."""

    def __init__(
        self,
        source: Store,
        target: Store,
        target_layout: Layout,
        source_home: Path,
        *,
        trust_roots: Sequence[Any],
        max_pdf_bytes: int = MAX_PDF_BYTES,
    ) -> None:
        """``source_home``: the workstation's home, whose ``archive/`` folder is the only
        place its PDFs are read from (a home copied from another machine has them there,
        whatever its records say) and whose ``audit-seal/`` is checked. ``trust_roots``: the
        CA certificates (asn1crypto) every merged PDF's signature, and the source's seal,
        must chain to: the target's, never the source's own. ``max_pdf_bytes``: a larger
        PDF is refused unread."""
        self.source = source
        self.target = target
        self.layout = target_layout  # its rule names every PDF merged into its archive
        self.source_layout = Layout(home=source_home, config_root=source_home)
        self.trust_roots = list(trust_roots)
        self.max_pdf_bytes = max_pdf_bytes
        self.report = MergeReport()
        self._units: dict[int, int] = {}
        self._dossiers: dict[int, int] = {}

    def run(self, on_document: Callable[[], None] | None = None) -> MergeReport:
        chain = verify_source_chain(self.source, self.source_layout.home, self.trust_roots)
        claims = ContentClaims(self.layout.work, self.target)
        report = self.report
        try:
            self._units, report.units_added = merge_units(self.source, self.target)
            self._dossiers, report.dossiers_added = merge_dossiers(
                self.source, self.target, self._units
            )
            self._merge_documents(claims, on_document)
            report.reuse_events_added, skipped_events = merge_reuse_events(
                self.source, self.target, self._dossiers
            )
            report.journal_entries_added = merge_journal(self.source, self.target)
            report.audit_entries_added, skipped_entries = merge_audit(
                self.source, self.target, chain
            )
            report.out_of_scope = skipped_events + skipped_entries
        except SQLAlchemyError as exc:
            raise StoreError(
                f"merge stopped: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}; "
                "what was merged stays, run it again to finish"
            ) from exc
        finally:
            claims.close()
        return report

    def documents_to_merge(self) -> int:
        with self.source.session() as s:
            return int(s.scalar(select(func.count()).select_from(Document)) or 0)

    # ----------------------------------------------------------------- documents

    def _merge_documents(
        self, claims: ContentClaims, on_document: Callable[[], None] | None
    ) -> None:
        after = ""
        documents = table_of(Document)
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
                states = _states(src, [r for r in rows if r.id not in present])
                for row in rows:
                    if row.id in present:
                        self.report.documents_present += 1
                    else:
                        self._merge_document(src, row, states, claims)
                    if on_document is not None:
                        on_document()

    def _merge_document(
        self, src: Session, row: Any, states: _States, claims: ContentClaims
    ) -> None:
        """Check one source document and take its content's claim, then merge it; a refusal
        is a line of the report and the merge goes on."""
        try:
            check_identity(row)
            tied = check_state(states.current[row.id], states.recorded.get(row.id))
            if not claims.try_claim(row.sha256):
                raise Refused(BUSY)
        except Refused as why:
            self._refuse(row.id, why)
            return
        try:
            self._merge_claimed(src, row, tied)
        finally:
            claims.release(row.sha256)

    def _merge_claimed(self, src: Session, row: Any, tied: bool) -> None:
        """Copy the checked PDF, then write the records (the content's claim is held)."""
        from digitizer.commit import output_path  # heavy: the pipeline's imports

        if self._target_has(row.id):  # registered by the target since the batch was read
            self.report.documents_present += 1
            return
        pdf = output_path(self.layout, row.id)  # the target's rule, never the source's
        existed = pdf.exists()
        try:
            copy_checked_pdf(
                self.source_layout,
                pdf,
                row.id,
                row.output_sha256,
                self.trust_roots,
                self.max_pdf_bytes,
            )
        except Refused as why:
            self._refuse(row.id, why)
            return
        self.report.pdfs_copied += 1
        try:
            self._insert_document(src, row, pdf)
        except (IntegrityError, DataError) as exc:
            if self._target_has(row.id):  # registered meanwhile by a worker of the target
                self.report.documents_present += 1
                return
            first = str(exc.orig).splitlines()[0] if str(exc.orig) else exc
            self._refuse(
                row.id,
                f"its records do not fit the target store ({bounded(first, 200)}): not merged",
            )
            if not existed:  # no signed PDF is left in the archive without its record
                pdf.unlink(missing_ok=True)
            return
        self.report.documents_added += 1
        self.report.not_tied += not tied

    def _refuse(self, document_id: object, why: object) -> None:
        self.report.refused.append(f"{bounded(document_id)}: {why}")

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
                    values_of(row, unit_id=self._units.get(row.unit_id), dossier_id=dossier_id)
                    | {"id": row.id, "output_path": self.layout.recorded(pdf)}
                )
            )
            for page in src.execute(
                select(table_of(Page)).where(Page.document_id == row.id).order_by(Page.page_no)
            ).all():
                page_id = insert_row(dst, Page, values_of(page))
                words = src.execute(
                    select(table_of(OcrWordRow))
                    .where(OcrWordRow.page_id == page.id)
                    .order_by(OcrWordRow.seq)
                ).all()
                if words:
                    dst.execute(insert(OcrWordRow), [values_of(w, page_id=page_id) for w in words])
            fields = src.execute(select(table_of(Field)).where(Field.document_id == row.id)).all()
            if fields:
                dst.execute(insert(Field), [values_of(f) for f in fields])
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


def _states(src: Session, rows: Sequence[Any]) -> _States:
    """The states of the source documents ``rows`` (one query for all their fields) and the
    ones the source's chain recorded for them last."""
    ids = [r.id for r in rows]
    current = audit_state.state_digests(src, [(r.id, r.status, r.doc_type) for r in rows])
    return _States(current, audit_state.recorded_states(src, ids))
