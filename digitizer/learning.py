"""Learning from clerks' corrections: label wordings taught, checked, stored and used.

A clerk who types a value the pipeline missed teaches the words that labelled it
(:func:`digitizer.understanding.variants.learn_label`). Before the label is stored for the
office (:mod:`digitizer.store.learned_labels`, audited), :class:`Teacher` checks it on the
store's own evidence:

* read with the new label, the document it came from must give the value the clerk typed
  (else it labels something else, or the value is cut otherwise);
* read with it, no *confirmed* document of that type (registered, nothing left for review)
  whose text holds its words may lose a confirmed value or gain a wrong one that would be
  auto-accepted; the newest :data:`MAX_CONFIRMED` of them are read, as the office would read
  them.

:class:`LearningUnderstander` is what the pipeline (:mod:`digitizer.stages`) and the nightly
re-index (:mod:`digitizer.reindex`) read documents with: the schemas plus the office's
learned labels, a value only a learned label gave trusted less
(:func:`~digitizer.understanding.variants.merge_learned`). In the pipeline it asks the store
before each document whether labels were learned or forgotten (one small query), so a
label a clerk taught is used from the next document on, in a running ``watch`` too.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from digitizer.errors import StoreError
from digitizer.records import OcrWord
from digitizer.store import Store, learned_labels
from digitizer.store.models import Document, Field
from digitizer.understanding.blanks import HandReading, ReadBlank
from digitizer.understanding.schema import SchemaSet
from digitizer.understanding.understand import Reread, Understander, Understanding
from digitizer.understanding.variants import (
    LearnedVariant,
    folded_label,
    learn_label,
    merge_learned,
    with_learned,
)
from digitizer.understanding.zones import Blank

log = logging.getLogger(__name__)

MAX_CONFIRMED = 150  # confirmed documents read again before a label is stored


class StoreVariants:
    """An office's learned labels as the store holds them now, for a long-lived reader."""

    def __init__(self, url: str, unit_code: str) -> None:
        self.url = url
        self.unit_code = unit_code
        self._store: Store | None = None
        self._revision: tuple[int, int] | None = None

    def poll(self) -> list[LearnedVariant] | None:
        """The office's labels if they changed since the last call, else None. A store
        that cannot be read leaves the labels as they were (the schemas' own labels
        still read every document): a warning, never a failed document."""
        try:
            if self._store is None:
                self._store = Store(self.url)
            with self._store.session() as s:
                revision = learned_labels.revision(s)
                if revision == self._revision:
                    return None
                variants = learned_labels.active(s, self.unit_code)
        except (StoreError, SQLAlchemyError) as exc:
            log.warning("learned labels not read (%s): the schemas' labels alone are used", exc)
            return None
        self._revision = revision
        return variants


class LearningUnderstander:
    """An :class:`Understander` that also reads the labels offices learned."""

    def __init__(
        self,
        base: Understander,
        variants: Sequence[LearnedVariant] = (),
        *,
        unit_code: str = "",
        source: StoreVariants | None = None,
    ) -> None:
        self.base = base
        self.unit_code = unit_code  # the office read for when none is named
        self.source = source
        self._variants: dict[str, list[LearnedVariant]] = {}
        self._readers: dict[str, Understander] = {}
        self.use(variants)

    @property
    def schemas(self) -> SchemaSet:
        return self.base.schemas

    def use(self, variants: Sequence[LearnedVariant]) -> None:
        """Read with these labels from now on (of any offices)."""
        self._variants = {}
        for v in variants:
            self._variants.setdefault(v.unit_code, []).append(v)
        self._readers = {}

    def plus(self, variant: LearnedVariant) -> LearningUnderstander:
        """A reader with one more label (to try it before it is stored)."""
        every = [v for vs in self._variants.values() for v in vs]
        return LearningUnderstander(self.base, [*every, variant], unit_code=self.unit_code)

    def _reader(self, unit_code: str) -> Understander:
        """The base understander with the office's labels in its schemas (sharing the name
        tables and model: building them again costs more than reading a document)."""
        reader = self._readers.get(unit_code)
        if reader is None:
            reader = copy.copy(self.base)
            reader.schemas = with_learned(self.base.schemas, self._variants[unit_code])
            self._readers[unit_code] = reader
        return reader

    def understand(
        self,
        pages: Sequence[Sequence[OcrWord]],
        codes: Sequence[Sequence[str]] = (),
        reread: Reread | None = None,
        *,
        unit_code: str | None = None,
        read_blank: ReadBlank | None = None,
    ) -> Understanding:
        """As :meth:`Understander.understand`, for the office ``unit_code`` (default: this
        reader's). Documents of a type the office learned nothing for cost nothing more;
        the others are read twice from their words (with and without the learned labels)."""
        if self.source is not None:
            fresh = self.source.poll()
            if fresh is not None:
                self.use(fresh)
        unit = self.unit_code if unit_code is None else unit_code
        learned = self._variants.get(unit)
        if not learned:
            return self.base.understand(pages, codes, reread, read_blank)
        read_blank = _once(read_blank)  # the two readings share the recognizers' work
        result = self._reader(unit).understand(pages, codes, reread, read_blank)
        schema = self.schemas.get(result.doc_type)
        if schema is None or all(v.doc_type != result.doc_type for v in learned):
            return result
        plain = self.base.understand(pages, codes, None, read_blank)
        return merge_learned(schema, plain, result)


def _once(read_blank: ReadBlank | None) -> ReadBlank | None:
    """``read_blank`` answering each printed line once: the second recognizers cost a
    fifth of a second a line, and the same document's two readings ask for the same lines."""
    if read_blank is None:
        return None
    seen: dict[tuple[int, tuple[int, int, int, int], str], Mapping[str, HandReading]] = {}

    def read(blank: Blank) -> Mapping[str, HandReading]:
        key = (blank.page, blank.box, blank.template)
        if key not in seen:
            seen[key] = read_blank(blank)
        return seen[key]

    return read


# ----------------------------------------------------------------------------- teaching


@dataclass(frozen=True, slots=True)
class Lesson:
    """What a correction taught: the label stored (and its id), or why none was."""

    label: str | None
    label_id: int | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Source:
    doc_type: str
    unit_code: str
    pages: list[list[OcrWord]]
    variants: list[LearnedVariant]


class Teacher:
    """Learns labels from one clerk's corrections; one per review session."""

    def __init__(self, store: Store, schemas: SchemaSet, province_codes: frozenset[str]) -> None:
        self.store = store
        self.schemas = schemas
        self.province_codes = province_codes
        self._base: Understander | None = None  # made at the first lesson (name tables)

    def learn(self, document_id: str, field_name: str, value: str, actor: str) -> Lesson:
        """Learn from the value a clerk saved; never raises (the decision is saved already,
        a lesson that fails is only a lesson not learned)."""
        try:
            return self._learn(document_id, field_name, value, actor)
        except Exception as exc:  # the clerk's decision stands whatever happens here
            log.exception("learning from a correction of document %s failed", document_id)
            return Lesson(None, reasons=(f"not learned: internal error {exc.__class__.__name__}",))

    def _learn(self, document_id: str, field_name: str, value: str, actor: str) -> Lesson:
        source = self._source(document_id)
        if source is None:
            return Lesson(None, reasons=("the document is no longer in the store",))
        known = with_learned(self.schemas, source.variants)
        finding = learn_label(source.pages, known, source.doc_type, field_name, value)
        if finding.label is None or finding.placement is None:
            return Lesson(None, reasons=finding.reasons)
        folded = folded_label(finding.label)
        with self.store.session() as s:
            earlier = learned_labels.find(s, source.unit_code, source.doc_type, field_name, folded)
        if earlier is not None and earlier.forgotten_at is not None:
            when = f"{earlier.forgotten_at:%Y-%m-%d}"
            return Lesson(
                None,
                reasons=(f"'{finding.label}' was forgotten by {earlier.forgotten_by} on {when}",),
            )
        if earlier is not None:
            return Lesson(None, reasons=(f"'{finding.label}' is learned already (#{earlier.id})",))
        variant = LearnedVariant(0, source.unit_code, source.doc_type, field_name, finding.label)
        current = LearningUnderstander(
            self._understander(), source.variants, unit_code=source.unit_code
        )
        trial = current.plus(variant)
        problem = _reads_back(trial, source.pages, field_name, value, finding.label)
        problem = problem or self._harm(current, trial, source.doc_type, finding.label, document_id)
        if problem is not None:
            return Lesson(None, reasons=(problem,))
        try:
            with self.store.session() as s, s.begin():
                row = learned_labels.add(
                    s,
                    variant=variant,
                    folded=folded,
                    placement=finding.placement,
                    document_id=document_id,
                    actor=actor,
                )
        except IntegrityError:
            return Lesson(None, reasons=(f"'{finding.label}' was learned meanwhile",))
        return Lesson(finding.label, row.id)

    def _understander(self) -> Understander:
        if self._base is None:
            self._base = Understander(self.schemas, self.province_codes)
        return self._base

    def _source(self, document_id: str) -> _Source | None:
        from digitizer.reindex import stored_words  # reindex reads with this module

        with self.store.session() as s:
            doc = s.get(Document, document_id)
            if doc is None:
                return None
            unit = learned_labels.unit_code_of(s, doc)
            pages = stored_words(s, [doc.id])[doc.id]
            return _Source(doc.doc_type, unit, pages, learned_labels.active(s, unit))

    def _harm(
        self,
        current: LearningUnderstander,
        trial: LearningUnderstander,
        doc_type: str,
        label: str,
        source_id: str,
    ) -> str | None:
        """Why the label would do harm on the store's confirmed documents, or None."""
        changed: list[str] = []
        for doc_id, pages, truth in self._confirmed(doc_type, label, source_id):
            before = current.understand(pages, [[] for _ in pages])
            after = trial.understand(pages, [[] for _ in pages])
            if before.doc_type == after.doc_type == doc_type and _worse(before, after, truth):
                changed.append(doc_id)
        if changed:
            shown = ", ".join(changed[:3]) + (" …" if len(changed) > 3 else "")
            return (
                f"'{label}' would change confirmed values of {len(changed)} document(s) ({shown})"
            )
        return None

    def _confirmed(
        self, doc_type: str, label: str, source_id: str
    ) -> list[tuple[str, list[list[OcrWord]], dict[str, str]]]:
        """The newest confirmed documents of the type whose text holds the label's words,
        with their words and confirmed values."""
        from digitizer.reindex import stored_words
        from digitizer.store.lookup import sync_text_index

        with self.store.session() as s, s.begin():
            sync_text_index(s)  # what lookups do: documents registered since get their text
        with self.store.session() as s:
            ids = _confirmed_ids(s, doc_type, label, source_id)
            words = stored_words(s, ids)
            values: dict[str, dict[str, str]] = {d: {} for d in ids}
            rows = s.execute(
                select(Field.document_id, Field.name, Field.value).where(
                    Field.document_id.in_(ids), Field.value.is_not(None)
                )
            )
            for doc_id, name, value in rows:
                values[doc_id][name] = str(value)
        return [(d, words[d], values[d]) for d in ids]


def _confirmed_ids(s: Session, doc_type: str, label: str, source_id: str) -> list[str]:
    from digitizer.store.lookup import document_text, text_condition

    dialect = s.get_bind().dialect.name
    pending = exists().where(Field.document_id == Document.id, Field.status == "needs_review")
    query = select(Document.id).where(
        Document.doc_type == doc_type,
        Document.status == "registered",
        Document.id != source_id,
        ~pending,
    )
    if dialect in ("sqlite", "postgresql"):
        query = query.join(document_text, document_text.c.document_id == Document.id).where(
            text_condition(dialect, label)
        )
    query = query.order_by(Document.created_at.desc(), Document.id).limit(MAX_CONFIRMED)
    return list(s.scalars(query))


def _reads_back(
    trial: LearningUnderstander,
    pages: Sequence[Sequence[OcrWord]],
    field_name: str,
    value: str,
    label: str,
) -> str | None:
    """Read with the label, the document it came from must give the clerk's value."""
    got = trial.understand(pages, [[] for _ in pages]).fields.get(field_name)
    if got is None or _key(str(got.value)) != _key(value):
        read = "nothing" if got is None else f"'{got.value}'"
        return f"'{label}' does not read the value back from its own document (it reads {read})"
    return None


def _worse(before: Understanding, after: Understanding, truth: dict[str, str]) -> bool:
    """The new label lost a confirmed value, or gave a wrong one that would be accepted."""
    for name in {*before.fields, *after.fields}:
        b, a = before.fields.get(name), after.fields.get(name)
        want = truth.get(name)
        got = None if a is None else str(a.value)
        had = None if b is None else str(b.value)
        if want is not None and had == want and got != want:
            return True
        newly_ok = (
            a is not None and a.status == "ok" and (b is None or b.status != "ok" or had != got)
        )
        if newly_ok and got != want:
            return True
    return False


def _key(value: str) -> str:
    from digitizer.understanding.layout import fold_text

    return " ".join(fold_text(value).split())
