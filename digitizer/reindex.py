"""The nightly re-index (``digitizer reindex``): what improved schemas and clerks teach the store.

Schemas get better (a new label variant, a stricter check) and every document read with an
older version of its type's schema may now read differently; so may an office's documents
of a type for which a clerk's correction taught a label, or one was forgotten
(:mod:`digitizer.learning`: those (office, type) pairs are read again once). OCR is the
costly part and its words are all stored with their boxes and confidences, so re-reading
is classification and extraction on stored words only: milliseconds per document instead
of seconds, and the signed PDF is never touched (its text layer is the OCR, which does not
change).

Rules that keep this safe:

* a field a clerk typed or accepted (``origin = 'clerk'``) is never overwritten, and neither
  is a value a QR code gave (codes are not stored, so re-extraction could not find it again);
* the key value follows a clerk-set key field; a document a clerk worked on keeps its type;
* a name or address field that second readings of the image had doubted stays for review
  (those readings need the page image, which re-extraction does not have);
* the status follows what is left to review (:func:`digitizer.review.queue.pending_items`),
  so a document whose only uncertain fields a clerk corrected stays registered;
* a changed state gets an audit entry with its digest (:mod:`digitizer.store.audit`); a
  document whose state is not what its last entry recorded (edited in the database) is
  left alone, an error, never sealed in. Batches lock the audit chain first, as clerks do.

Work goes in batches, one transaction each: a killed run loses at most a batch, and the
next run continues, since the documents done carry their new ``schema_version``.
The steps and their settings come from ``pipelines/reindex.toml``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from digitizer.config import Layout, read_toml
from digitizer.errors import ConfigurationError
from digitizer.learning import LearningUnderstander
from digitizer.records import FieldValue, OcrWord
from digitizer.review.queue import pending_items
from digitizer.store import Store, audit, audit_state, learned_labels, progress, reuse
from digitizer.store.models import Document, Field, OcrWordRow, Page
from digitizer.store.store import fill_field
from digitizer.understanding.learned import DocTypeModel
from digitizer.understanding.schema import DocumentSchema, SchemaSet
from digitizer.understanding.understand import Understander
from digitizer.understanding.validate import load_province_codes

log = logging.getLogger(__name__)

STEPS = ("reextract", "retrain", "text_index", "rates", "check")
NO_SCHEMA = 0  # schema_version of a document no schema matched when it was last read
_QR_CONFIDENCE = 0.999  # what a value read from a QR code gets (understand._QR_SCORE)


class _Tampered(Exception):
    """A document's stored state is not the one its last audit entry recorded."""


@dataclass(frozen=True, slots=True)
class ReindexDefinition:
    source: Path
    description: str
    steps: tuple[str, ...]
    batch_size: int
    check_profile: str

    def runs(self, step: str) -> bool:
        return step in self.steps


def load_definition(pipelines_dir: Path, name: str = "reindex") -> ReindexDefinition:
    """``pipelines/<name>.toml``; a bad definition is one line naming the file and problem."""
    path = pipelines_dir / f"{name}.toml"
    if not path.exists():
        raise ConfigurationError(f"no re-index definition at {path}")
    data = read_toml(path)
    steps = data.get("steps")
    if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
        raise ConfigurationError(f"{path}: 'steps' must be a list of step names")
    for step in steps:
        if step not in STEPS:
            raise ConfigurationError(f"{path}: unknown step '{step}' (known: {', '.join(STEPS)})")
    if "reextract" not in steps or len(set(steps)) != len(steps):
        raise ConfigurationError(f"{path}: 'steps' must hold 'reextract', each step once")
    reextract = data.get("reextract", {})
    batch = reextract.get("batch_size", 200) if isinstance(reextract, dict) else None
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ConfigurationError(f"{path}: reextract.batch_size must be a positive integer")
    check = data.get("check", {})
    profile = check.get("profile", "default") if isinstance(check, dict) else None
    if not isinstance(profile, str) or not profile:
        raise ConfigurationError(f"{path}: check.profile must be a profile name")
    return ReindexDefinition(path, str(data.get("description", "")), tuple(steps), batch, profile)


@dataclass(slots=True)
class ReindexSummary:
    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    kept_clerk_values: int = 0
    errors: int = 0
    error_documents: list[str] = field(default_factory=list)
    retrained: dict[str, Any] | None = None
    text_indexed: int | None = None
    rates: dict[str, Any] | None = None
    check: dict[str, Any] | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and (self.check is None or bool(self.check.get("ok")))

    def to_json(self) -> dict[str, Any]:
        per_doc = self.seconds.get("reextract", 0.0) / self.examined if self.examined else None
        return {
            "ok": self.ok,
            "examined": self.examined,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "kept_clerk_values": self.kept_clerk_values,
            "errors": self.errors,
            "error_documents": self.error_documents,
            "retrained": self.retrained,
            "text_indexed": self.text_indexed,
            "rates": self.rates,
            "check": self.check,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "ms_per_document": None if per_doc is None else round(1000 * per_doc, 3),
        }


def stale_condition(
    schemas: SchemaSet, relearned: Sequence[tuple[str, str]] = ()
) -> ColumnElement[bool]:
    """Documents read with another version of their type's schema than the current one, or
    of an (office, type) whose learned labels changed since (:mod:`digitizer.learning`)."""
    known = [s.doc_type for s in schemas.schemas]
    clauses = [
        and_(
            Document.doc_type == s.doc_type,
            or_(Document.schema_version.is_(None), Document.schema_version != s.version),
        )
        for s in schemas.schemas
    ]
    clauses.append(and_(Document.doc_type.not_in(known), Document.schema_version.is_(None)))
    learned = learned_labels.scope_condition(relearned)
    return or_(*clauses) if learned is None else or_(*clauses, learned)


def count_candidates(store: Store, schemas: SchemaSet, everything: bool) -> int:
    query = select(func.count()).select_from(Document)
    with store.session() as s:
        if not everything:
            query = query.where(stale_condition(schemas, learned_labels.pending_reread(s).scopes))
        return int(s.scalar(query) or 0)


def _is_reread(schema: DocumentSchema | None, name: str) -> bool:
    """Fields the pipeline reads a second time from the image (names, addresses)."""
    spec = next((f for f in schema.fields if f.name == name), None) if schema else None
    return spec is not None and (
        spec.type == "name" or (spec.type == "text" and spec.name.endswith("address"))
    )


def _from_code(row: Field) -> bool:
    """A value a QR code gave: marked so, or (stored before origins) ok with no box."""
    return row.origin == "qr" or (
        row.status == "ok" and row.left is None and row.confidence >= _QR_CONFIDENCE
    )


def stored_words(s: Session, doc_ids: Sequence[str]) -> dict[str, list[list[OcrWord]]]:
    """The stored OCR words of documents, page by page (empty pages kept: page numbers)."""
    pages: dict[int, list[OcrWord]] = {}
    by_doc: dict[str, list[list[OcrWord]]] = {d: [] for d in doc_ids}
    for page_id, doc_id in s.execute(
        select(Page.id, Page.document_id)
        .where(Page.document_id.in_(doc_ids))
        .order_by(Page.document_id, Page.page_no)
    ):
        pages[page_id] = []
        by_doc[doc_id].append(pages[page_id])
    rows = s.execute(
        select(
            OcrWordRow.page_id,
            OcrWordRow.text,
            OcrWordRow.left,
            OcrWordRow.top,
            OcrWordRow.width,
            OcrWordRow.height,
            OcrWordRow.confidence,
            OcrWordRow.block,
            OcrWordRow.line,
        )
        .where(OcrWordRow.page_id.in_(list(pages)))
        .order_by(OcrWordRow.page_id, OcrWordRow.seq)
    )
    for page_id, text, left, top, width, height, conf, block, line in rows:
        pages[page_id].append(OcrWord(text, left, top, width, height, conf, block, line))
    return by_doc


class Reindexer:
    """Re-reads documents from their stored words with the current schemas."""

    def __init__(
        self,
        store: Store,
        schemas: SchemaSet,
        model: DocTypeModel | None,
        relearned: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.store = store
        self.schemas = schemas
        self.relearned = relearned  # (office, type) pairs whose learned labels changed
        with store.session() as s:  # each document is read with its own office's labels
            variants, self._units = learned_labels.active(s), learned_labels.unit_codes(s)
        base = Understander(schemas, load_province_codes(), model=model)
        self.understander = LearningUnderstander(base, variants)
        self._recorded: dict[str, str] = {}  # the states the batch's audit entries recorded

    def reextract(
        self,
        summary: ReindexSummary,
        *,
        everything: bool,
        batch_size: int,
        on_document: Callable[[str], None] | None = None,
    ) -> None:
        after = ""
        while True:
            with self.store.session() as s, s.begin():
                audit.lock_chain(s)
                query = select(Document).where(Document.id > after)
                if not everything:
                    query = query.where(stale_condition(self.schemas, self.relearned))
                docs = list(s.scalars(query.order_by(Document.id).limit(batch_size)))
                if not docs:
                    return
                words = stored_words(s, [d.id for d in docs])
                self._recorded = audit_state.recorded_states(s, [d.id for d in docs])
                for doc in docs:
                    summary.examined += 1
                    try:
                        with s.begin_nested():
                            changed = self._one(s, doc, words[doc.id], summary)
                        summary.changed += changed
                        summary.unchanged += not changed
                    except Exception as exc:  # one bad document never stops the night's run
                        _log_failure(doc.id, exc)
                        summary.errors += 1
                        summary.error_documents.append(doc.id)
                    if on_document is not None:
                        on_document(doc.id)
                after = docs[-1].id
            log.info("re-index: %d documents examined", summary.examined)

    def _one(
        self, s: Session, doc: Document, pages: list[list[OcrWord]], summary: ReindexSummary
    ) -> bool:
        """Re-read one document and update it in place; whether anything but its version
        changed."""
        rows = list(s.scalars(select(Field).where(Field.document_id == doc.id)))
        fields = [(r.name, r.value, r.status, r.origin) for r in rows]
        state_before = audit_state.state_digest(doc.id, doc.status, doc.doc_type, fields)
        if self._recorded.get(doc.id, state_before) != state_before:
            raise _Tampered(doc.id)
        kept = {r.name: r for r in rows if r.origin == "clerk" or _from_code(r)}
        clerk = [r for r in rows if r.origin == "clerk"]
        summary.kept_clerk_values += len(clerk)
        unit = self._units.get(doc.unit_id, "") if doc.unit_id is not None else ""
        found = self.understander.understand(pages, [[] for _ in pages], unit_code=unit)
        doc_type, type_conf = found.doc_type, found.doc_type_confidence
        if clerk and doc_type != doc.doc_type:  # a clerk worked on it as its stored type
            doc_type, type_conf = doc.doc_type, doc.doc_type_confidence
            new_fields: dict[str, FieldValue] = {}
            keep_others = True
        else:
            new_fields, keep_others = found.fields, False
        schema = self.schemas.get(doc_type)
        before = _snapshot(doc, rows)
        old = {r.name: r for r in rows}
        for name, row in old.items():
            if name in kept or keep_others:
                continue
            if name not in new_fields:
                s.delete(row)
        final: list[Field] = [r for n, r in old.items() if n in kept or keep_others]
        for name, fv in new_fields.items():
            if name in kept:
                continue
            row = old.get(name) or Field(document_id=doc.id, name=name)
            if row.id is None:
                s.add(row)
            doubted = (
                _is_reread(schema, name)
                and old.get(name) is not None
                and old[name].status == "needs_review"
            )
            _fill(row, fv, doubted)
            final.append(row)
        doc.doc_type, doc.doc_type_confidence = doc_type, type_conf
        key = schema.key if schema is not None else None
        key_row = next((r for r in final if r.name == key), None) if key else None
        if key_row is not None and key_row.status == "ok" and key_row.value is not None:
            doc.key_value = key_row.value[:64]
        elif not keep_others:
            doc.key_value = None
        if doc.status in ("registered", "needs_review"):
            doc.status = "needs_review" if pending_items(final, schema) else "registered"
        doc.schema_version = schema.version if schema is not None else NO_SCHEMA
        s.flush()
        after = _snapshot(doc, final)
        if after != before:
            # a key read anew may match another document, or stop matching one
            reuse.relink_after_key_change(s, doc, actor="reindex")
            progress.refresh(s, doc.dossier_id)
        state = audit_state.document_state_digest(s, doc)
        if state != state_before:
            audit.append(s, actor="reindex", action="reindex", document_id=doc.id, state=state)
        return after != before


def _log_failure(doc_id: str, exc: Exception) -> None:
    if isinstance(exc, _Tampered):
        log.error("document %s not re-read: its state is not its audit trail's", doc_id)
    else:
        log.exception("re-index of document %s failed", doc_id)


def _fill(row: Field, fv: FieldValue, doubted: bool) -> None:
    earlier_confidence = row.confidence
    fill_field(row, fv)
    if doubted and row.status == "ok":  # second readings had doubted it: still a clerk's call
        row.status, row.confidence = "needs_review", min(fv.confidence, earlier_confidence)


def _snapshot(doc: Document, rows: Sequence[Field]) -> tuple[object, ...]:
    fields = sorted((r.name, r.value, r.status, round(r.confidence, 4)) for r in rows)
    return (doc.doc_type, doc.status, doc.key_value, tuple(fields))


# ----------------------------------------------------------------------------- the job


def retrain(store: Store, layout: Layout, schemas: SchemaSet) -> dict[str, Any]:
    """The learned classifier from the confirmed documents (``classifier train``'s path);
    too few of them is not an error: the step says so and the model stays as it was."""
    from digitizer.understanding.layout import fold_text
    from digitizer.understanding.learned import train  # heavy: scikit-learn

    confirmed = store.confirmed_documents()
    try:
        report = train(
            [fold_text(text) for _, text in confirmed],
            [doc_type for doc_type, _ in confirmed],
            schemas.fingerprint,
            layout.doctype_model,
        )
    except ConfigurationError as exc:
        return {"trained": False, "reason": str(exc)}
    return {
        "trained": True,
        "documents": report.documents,
        "per_type": report.per_type,
        "cross_validated_accuracy": report.cross_validated_accuracy,
    }


def run(
    store: Store,
    layout: Layout,
    schemas: SchemaSet,
    definition: ReindexDefinition,
    *,
    everything: bool = False,
    trust_roots: list[object] | None = None,
    on_document: Callable[[str], None] | None = None,
    seal: Callable[[], object] | None = None,
) -> ReindexSummary:
    """Every step of ``definition``, in its order; the summary of what each did. ``seal``
    seals the audit chain (:func:`digitizer.seal.seal_chain`): before the check, so that
    it checks a sealed chain, else at the end."""
    summary = ReindexSummary()
    for step in definition.steps:
        started = time.perf_counter()
        if step == "check" and seal is not None:
            seal()
        if step == "reextract":
            model = DocTypeModel.load(layout.doctype_model)
            with store.session() as s:
                pending = learned_labels.pending_reread(s)
            Reindexer(store, schemas, model, pending.scopes).reextract(
                summary,
                everything=everything,
                batch_size=definition.batch_size,
                on_document=on_document,
            )
            with store.session() as s, s.begin():  # their documents are read: done
                learned_labels.mark_reread(s, pending.ids)
        elif step == "retrain":
            summary.retrained = retrain(store, layout, schemas)
        elif step == "text_index":
            from digitizer.store.lookup import sync_text_index

            with store.session() as s, s.begin():
                summary.text_indexed = sync_text_index(s)
        elif step == "rates":
            from digitizer.store.rates import commune_rates

            summary.rates = commune_rates(store).total.to_json()
        elif step == "check":
            from digitizer.check import check_archive

            report = check_archive(store, layout.archive, trust_roots or [], layout=layout)
            summary.check = report.to_json()
        summary.seconds[step] = time.perf_counter() - started
    if seal is not None and not definition.runs("check"):
        seal()
    return summary
