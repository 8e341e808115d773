"""The store's operations: open, look up by content hash, register, journal.

SQLite at ``$DIGITIZER_HOME/digitizer.db`` by default (embedded, nothing to start);
PostgreSQL (or any SQLAlchemy URL) by setting. Opening migrates the schema to the newest
revision (``digitizer.store.migrations``), so a new version just works on an old store.
One writer (the CLI's main process) registers results, so SQLite's single-writer rule is
never in the way of the OCR workers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, insert, make_url, select
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from digitizer.errors import StoreError
from digitizer.records import DocumentResult, FieldValue
from digitizer.store import audit, progress, reuse
from digitizer.store.migrations import ensure_head
from digitizer.store.models import (
    Document,
    Dossier,
    Field,
    JournalEntry,
    OcrWordRow,
    Page,
    Unit,
    folded_value,
)

log = logging.getLogger(__name__)

# Field values are indexed with their name; PostgreSQL's B-tree takes at most ~2,700 bytes.
_MAX_FIELD_CHARS = 600


def default_url(home: Path) -> str:
    return f"sqlite:///{home / 'digitizer.db'}"


# TCP keepalives both ways, so that a vanished peer (power cut, network gone) is noticed
# within about a minute, not after the kernel's default two hours: the server's side (the
# session's tcp_keepalives_*) releases a dead worker's locks (its content claim) and
# transactions that soon; the client's side stops a worker waiting on a dead server.
_KEEPALIVE = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "options": "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3",
}


def _with_driver(url: str) -> str:
    """``postgresql://`` means psycopg 3 here: the driver digitizer installs (SQLAlchemy's
    own default, psycopg2, is not a dependency)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def shown_url(url: str) -> str:
    """The URL for messages and logs: never the password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {lines[0] if lines else ''}"


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Store:
    """A handle on the store; cheap to keep for a whole run."""

    def __init__(self, url: str) -> None:
        """Open the store at ``url`` and bring its schema to the newest revision
        (``digitizer.store.migrations``): one query when it is already there."""
        self.url = url
        shown = shown_url(url)
        try:
            driver_url = _with_driver(url)
            self.engine: Engine = create_engine(
                driver_url,
                # a connection the server dropped (restart) is replaced, not handed out
                pool_pre_ping=True,
                connect_args=_KEEPALIVE if driver_url.startswith("postgresql") else {},
            )
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"cannot open the store at {shown}: {_first_line(exc)}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            ensure_head(self.engine, shown)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise StoreError(f"cannot open the store at {shown}: {_first_line(exc)}") from exc
        except StoreError:
            self.engine.dispose()
            raise
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()

    # ----------------------------------------------------------------- look-ups

    def document_by_sha256(self, sha256: str) -> Document | None:
        with self.session() as s:
            return s.scalars(select(Document).where(Document.sha256 == sha256)).first()

    def confirmed_documents(self) -> list[tuple[str, str]]:
        """(doc_type, OCR text) of documents whose type is not in doubt: registered with
        nothing left for review. The training set of the learned classifier."""
        with self.session() as s:
            docs = s.execute(
                select(Document.id, Document.doc_type).where(
                    Document.status == "registered", Document.doc_type != "unknown"
                )
            ).all()
            out = []
            for doc_id, doc_type in docs:
                words = s.execute(
                    select(OcrWordRow.text)
                    .join(Page, Page.id == OcrWordRow.page_id)
                    .where(Page.document_id == doc_id)
                    .order_by(Page.page_no, OcrWordRow.seq)
                ).scalars()
                out.append((doc_type, " ".join(words)))
            return out

    def unit_id(self, code: str) -> int:
        """The id of today's unit with this code; an unknown code is an error, never a new
        unit (the units list is data: ``digitizer units import``)."""
        from digitizer.units import UnitIndex  # units imports the store's models

        with self.session() as s:
            return UnitIndex(s).require(code).id

    def ensure_unit(self, code: str, name: str, level: str = "commune") -> int:
        """The id of a unit, added if absent (fixtures and imports; a profile's code goes
        through :meth:`unit_id`, which refuses an unknown one)."""
        with self.session() as s, s.begin():
            unit = s.scalars(
                select(Unit).where(Unit.code == code, Unit.level == level, Unit.valid_to.is_(None))
            ).first()
            if unit is None:
                unit = Unit(code=code, name=name, level=level)
                s.add(unit)
                s.flush()
            return unit.id

    # ----------------------------------------------------------------- writes

    def register(
        self,
        result: DocumentResult,
        *,
        profile: str,
        pdfa_level: str,
        ocr_engine: str,
        unit_id: int | None,
        recorded_output: str | None = None,
    ) -> None:
        """Record a processed document with all its pages, words and fields, atomically,
        with the audit entry that ties its state (:func:`audit.document_state_digest`).
        ``recorded_output``: the signed PDF's path as the store keeps it (relative to the
        home: :meth:`digitizer.config.Layout.recorded`); ``result.output`` when not given.

        The signed PDF must already be durable on disk: the record is the commit point.
        The pages and words (most of the rows) go in before the audit chain's lock is
        taken; from the dossier on, the transaction takes locks in the order clerks take
        them (the chain first), so the two never deadlock on PostgreSQL.
        """
        assert result.document_id and result.output and result.output_sha256
        try:
            with self.session() as s, s.begin():
                doc = Document(
                    id=result.document_id,
                    sha256=result.sha256,
                    source_path=result.source,
                    source_name=Path(result.source).name,
                    status=result.status,
                    doc_type=result.doc_type,
                    doc_type_confidence=result.doc_type_confidence,
                    profile=profile,
                    unit_id=unit_id,
                    page_count=len(result.pages),
                    output_path=recorded_output or result.output,
                    output_sha256=result.output_sha256,
                    pdfa_level=pdfa_level,
                    ocr_engine=ocr_engine,
                    key_value=result.key_value,
                    schema_version=result.schema_version,
                )
                s.add(doc)
                _add_pages(s, doc, result)
                audit.lock_chain(s)
                doc.dossier = _dossier_for(s, result, unit_id)
                for name, fv in result.fields.items():
                    field_row = Field(document=doc, name=name)
                    s.add(field_row)
                    if fill_field(field_row, fv):
                        doc.status = "needs_review"
                # a re-scan of a document digitized before: its dossier reused it
                reuse.relink(s, doc, actor="pipeline")
                result.reuse_of = doc.reuse_of
                progress.refresh(s, doc.dossier_id)
                s.add(
                    JournalEntry(
                        sha256=result.sha256,
                        document_id=result.document_id,
                        source_path=result.source,
                        event="registered",
                        detail=result.output,
                    )
                )
                audit.append(
                    s,
                    actor="pipeline",
                    action="digitize",
                    document_id=doc.id,
                    new_value=doc.status,
                    state=audit.document_state_digest(s, doc),
                )
        except IntegrityError as exc:
            if self.document_by_sha256(result.sha256) is not None:
                raise StoreError(f"document {result.document_id} is already registered") from exc
            raise StoreError(  # e.g. the same dossier created at this very moment elsewhere
                f"cannot register {result.source}: a conflicting record was written meanwhile "
                f"({_first_line(exc.orig or exc)}); run it again"
            ) from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot register {result.source}: {exc.__class__.__name__}") from exc

    def journal(
        self,
        *,
        source: str,
        event_name: str,
        sha256: str | None = None,
        document_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        entry = JournalEntry(
            sha256=sha256,
            document_id=document_id,
            source_path=source,
            event=event_name,
            detail=detail,
        )
        try:
            with self.session() as s, s.begin():
                s.add(entry)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot journal {source}: {_first_line(exc)}") from exc


def fill_field(row: Field, fv: FieldValue) -> bool:
    """Set a field row to what the pipeline read (registration and re-indexing alike): the
    value as text, its box, its diacritic-free form for search, its origin (``ocr``, or
    ``qr`` when a code gave it: re-indexing keeps such a value).

    Returns True when the value was cut: no real field is that long, it is an extraction
    that ran on, so the field (and its document) goes to a clerk.
    """
    value = None if fv.value is None else str(fv.value)
    status: str = fv.status
    capped = value is not None and len(value) > _MAX_FIELD_CHARS
    if capped:
        assert value is not None
        value, status = value[:_MAX_FIELD_CHARS], "needs_review"
    row.value, row.confidence, row.status, row.page_no = value, fv.confidence, status, fv.page_no
    row.left, row.top, row.width, row.height = fv.box or (None, None, None, None)
    row.value_folded = folded_value(value)
    row.origin = fv.origin
    return capped


def _add_pages(s: Session, doc: Document, result: DocumentResult) -> None:
    """The document's pages and every OCR word, in one insert per page."""
    for page_no, page in enumerate(result.pages, start=1):
        row = Page(
            document=doc,
            page_no=page_no,
            width=page.width,
            height=page.height,
            dpi=page.dpi,
            colour_mode=page.colour_mode,
            rotation=page.rotation,
            skew_deg=page.skew_deg,
            ocr_confidence=page.ocr_confidence,
        )
        s.add(row)
        s.flush()
        if page.words:
            s.execute(
                insert(OcrWordRow),
                [
                    {
                        "page_id": row.id,
                        "seq": i,
                        "text": w.text[:255],
                        "left": w.left,
                        "top": w.top,
                        "width": w.width,
                        "height": w.height,
                        "confidence": w.confidence,
                        "block": w.block,
                        "line": w.line,
                    }
                    for i, w in enumerate(page.words)
                ],
            )


def _dossier_for(s: Session, result: DocumentResult, unit_id: int | None) -> Dossier | None:
    """The dossier a document belongs to: its own code if it is a receipt, else the code of
    the receipt in front of it in a stack; created (``origin = receipt``) when new."""
    receipt = result.doc_type == "dossier_receipt"
    field = result.fields.get("dossier_code") if receipt else None
    code = str(field.value) if field is not None and field.status == "ok" else None
    code = code or result.dossier_code
    if not code:
        return None
    dossier = s.scalars(select(Dossier).where(Dossier.code == code)).first()
    if dossier is None:
        dossier = Dossier(code=code, unit_id=unit_id, origin="receipt", status="received")
        s.add(dossier)
    if receipt:
        received = result.fields.get("received_date")
        procedure = result.fields.get("procedure_name")
        if dossier.received_on is None and received is not None and received.value:
            with contextlib.suppress(ValueError):
                dossier.received_on = dt.date.fromisoformat(str(received.value))
        if dossier.procedure is None and procedure is not None and procedure.value:
            dossier.procedure = str(procedure.value)[:300]
    s.flush()
    return dossier
