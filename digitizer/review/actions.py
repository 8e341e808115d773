"""A clerk's decisions, saved: accept a value, correct it, and register a finished document.

Each decision is one transaction that first takes the audit chain's write lock
(:func:`digitizer.store.audit.lock_chain`), then re-reads the field: two clerks on the same
document are serialised, and a clerk who decided on a value that someone else has changed
meanwhile is told to look again instead of overwriting it. A value is saved only if it
passes the field's own rules (:mod:`digitizer.review.checks`); then the field becomes ``ok``
with ``origin = "clerk"`` (never overwritten by re-indexing) and confidence 1.0, the audit
chain gets an entry, and a document with nothing left to review becomes ``registered``
(with its own ``register`` entry). Each entry carries the digest of the state it left the
document in (:func:`digitizer.store.audit_state.document_state_digest`), and a document whose
stored state is not the one its last entry recorded (changed in the database behind the
program's back) is refused: a clerk's decision must not seal such a change in.

A corrected value also teaches: the words that labelled it on the page may become a label
of that field for the office's next documents (:mod:`digitizer.learning`), after the
decision is saved and in a transaction of its own.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from digitizer.learning import Lesson, Teacher
from digitizer.review.checks import check_value
from digitizer.review.queue import NEEDS_REVIEW, pending_items
from digitizer.store import audit, audit_state, progress, reuse
from digitizer.store.models import Document, Field, folded_value
from digitizer.store.store import Store
from digitizer.understanding.schema import SchemaSet

log = logging.getLogger(__name__)

REGISTERED = "registered"
_TAMPERED = (
    "this document's stored state is not what its audit trail recorded (changed in the "
    "database?): nothing saved; ask IT to run 'digitizer check'"
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a decision: saved (with the stored value) or refused (with reasons)."""

    saved: bool
    value: str | None = None
    problems: tuple[str, ...] = ()
    registered: bool = False  # the document has nothing left to review and is registered
    lesson: Lesson | None = None  # what a correction taught (a label learned, or why not)


class Reviewer:
    """Saves one clerk's decisions; cheap, one per review session."""

    def __init__(
        self,
        store: Store,
        schemas: SchemaSet,
        actor: str,
        province_codes: Collection[str],
        today: dt.date | None = None,
        learn: bool = True,
    ) -> None:
        self.store = store
        self.schemas = schemas
        self.actor = actor
        self.province_codes = province_codes
        self.today = today or dt.date.today()
        codes = frozenset(province_codes)
        self.teacher = Teacher(store, schemas, codes) if learn else None

    def accept(self, document_id: str, field_name: str, seen: str | None) -> Outcome:
        """The value the clerk saw (``seen``) is right as read."""
        return self._decide(document_id, field_name, None, seen)

    def correct(self, document_id: str, field_name: str, typed: str, seen: str | None) -> Outcome:
        """The clerk typed the right value in place of ``seen`` (None: nothing was read);
        the value saved may teach a label (``Outcome.lesson``)."""
        outcome = self._decide(document_id, field_name, typed, seen)
        if not outcome.saved or outcome.value is None or self.teacher is None:
            return outcome
        lesson = self.teacher.learn(document_id, field_name, outcome.value, self.actor)
        return replace(outcome, lesson=lesson)

    def register(self, document_id: str) -> Outcome:
        """Register a waiting document that has nothing left to review (e.g. its schema
        changed since it was read)."""
        with self.store.session() as s, s.begin():
            audit.lock_chain(s)
            doc = s.get(Document, document_id)
            if doc is None:
                return Outcome(False, problems=("the document is no longer in the store",))
            if doc.status != NEEDS_REVIEW:
                return Outcome(False, problems=(f"the document is already {doc.status}",))
            if not audit_state.state_unchanged(s, doc):
                return Outcome(False, problems=(_TAMPERED,))
            rows = list(s.scalars(select(Field).where(Field.document_id == doc.id)))
            if pending_items(rows, self.schemas.get(doc.doc_type)):
                return Outcome(False, problems=("the document still has fields to review",))
            self._register(s, doc)
            return Outcome(True, registered=True)

    def _decide(
        self, document_id: str, field_name: str, typed: str | None, seen: str | None
    ) -> Outcome:
        with self.store.session() as s, s.begin():
            audit.lock_chain(s)  # first: the re-read below and the change are serialised
            doc = s.get(Document, document_id)
            if doc is None:
                return Outcome(False, problems=("the document is no longer in the store",))
            if not audit_state.state_unchanged(s, doc):
                return Outcome(False, problems=(_TAMPERED,))
            schema = self.schemas.get(doc.doc_type)
            spec = (
                next((f for f in schema.fields if f.name == field_name), None) if schema else None
            )
            if schema is None or spec is None:
                return Outcome(
                    False,
                    problems=(
                        f"{doc.doc_type} has no field {field_name} in the schemas: "
                        "its value cannot be checked",
                    ),
                )
            rows = list(s.scalars(select(Field).where(Field.document_id == doc.id)))
            row = next((f for f in rows if f.name == field_name), None)
            current = row.value if row is not None else None
            if current != seen:
                return Outcome(
                    False, problems=("someone changed this field meanwhile: look at it again",)
                )
            if typed is None and current is None:
                return Outcome(False, problems=("nothing was read to accept: type the value (c)",))
            settled = {
                f.name: f.value
                for f in rows
                if f.status == "ok" and f.value is not None and f.name != field_name
            }
            raw = typed if typed is not None else current or ""
            checked = check_value(
                schema,
                spec,
                raw,
                settled,
                province_codes=self.province_codes,
                today=self.today,
            )
            if not checked.ok or checked.value is None:
                return Outcome(False, problems=checked.problems)
            value = checked.value
            if row is None:
                row = Field(document_id=doc.id, name=field_name, page_no=None)
                s.add(row)
                rows.append(row)
            row.value = value
            row.value_folded = folded_value(value)
            row.status = "ok"
            row.origin = "clerk"
            row.confidence = 1.0
            if schema.key == field_name:
                doc.key_value = value[:64]
                # the corrected key may match another document, or stop matching one
                reuse.relink_after_key_change(s, doc, actor=self.actor)
            audit.append(
                s,
                actor=self.actor,
                action="accept" if typed is None else "correct",
                document_id=doc.id,
                field_name=field_name,
                old_value=current,
                new_value=value,
                state=audit_state.document_state_digest(s, doc),
            )
            registered = False
            if doc.status == NEEDS_REVIEW and not pending_items(rows, schema):
                self._register(s, doc)
                registered = True
            return Outcome(True, value=value, registered=registered)

    def _register(self, s: Session, doc: Document) -> None:
        doc.status = REGISTERED
        progress.refresh(s, doc.dossier_id)  # its dossier may now count as digitized
        audit.append(
            s,
            actor=self.actor,
            action="register",
            document_id=doc.id,
            state=audit_state.document_state_digest(s, doc),
        )
        log.info("document %s reviewed and registered", doc.id)
