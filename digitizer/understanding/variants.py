"""Label wordings learned from clerks' corrections, and how they are read.

Forms change wording ("Họ, chữ đệm, tên" / "Tên khai sinh") faster than schemas are
edited. When a clerk types a value the pipeline did not find, the value is usually on the
page, under a label no schema lists: :func:`learn_label` finds the value among the page's
OCR words and takes the words that labelled it (before it on its line, or the line above,
list numbering such as "5." or "a)" removed) as a new label of that field.

A label learned from one correction must not turn a right value elsewhere into a wrong one
(auto-accepted values must be right 99.5 % of the time), so the rules here refuse words
that cannot be a reliable label:

* a label every form shares (``schemas/_common.toml`` stop labels), another field's label,
  a section heading or a title: the field would take another field's value;
* fewer than two words or six letters ("Số"): found everywhere;
* digits, or two upper-case words in a row (a value or a title, not a label), more than
  eight words (a sentence);
* words found on more than one line of the very page they were learned from.

And a value read through a learned label is trusted less than one read through a schema's
label: :func:`merge_learned` multiplies its confidence by :data:`LEARNED_FACTOR`, so it is
auto-accepted only when everything else about it is sure. The store-side checks (the label
reads the corrected value back; no confirmed document would change) are in
:mod:`digitizer.learning`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from rapidfuzz import fuzz

from digitizer.records import FieldValue, OcrWord
from digitizer.understanding.extract import LabelHit, label_hits
from digitizer.understanding.layout import Segment, before_headings, fold_text, segments_of
from digitizer.understanding.normalize import NORMALIZERS, NormalizeError
from digitizer.understanding.schema import DocumentSchema, FieldSpec, SchemaSet
from digitizer.understanding.understand import Understanding
from digitizer.understanding.values import cut

# A learned label's reading starts this far below a schema label's: a clean reading
# (OCR words at 95 %) still passes a threshold of 0.8, a hesitant one goes to a clerk.
LEARNED_FACTOR = 0.9
_SAME_LABEL = 88.0  # the fuzzy score at which extraction takes two labels for one
_MIN_WORDS, _MIN_LETTERS, _MAX_WORDS, _MAX_CHARS = 2, 6, 8, 60
_MAX_VALUE_WORDS = 14
_ENUMERATOR = re.compile(r"^\s*(?:[a-zđ]\)|\d{1,2}[.)]|[IVXivx]{1,4}[.)]|[-+•*])\s*")
_SEPARATORS = " \t:;.,-–—=_|"
_NOTE = re.compile(r"\([^)]*\)\s*$")  # "Tên hộ kinh doanh (ghi bằng chữ in hoa)"
_PUNCT_ONE = str.maketrans({".": ",", ";": ","})


@dataclass(frozen=True, slots=True)
class LearnedVariant:
    """A label wording an office learned for one field of one document type."""

    id: int
    unit_code: str  # the office ("" : documents digitized without a unit)
    doc_type: str
    field: str
    label: str


@dataclass(frozen=True, slots=True)
class Finding:
    """What a correction teaches: a label (and where it stood), or why nothing."""

    label: str | None
    placement: str | None = None  # "line" | "above"
    reasons: tuple[str, ...] = ()


def folded_label(label: str) -> str:
    """The form labels are compared in: folded, one punctuation for . , ;, single spaces."""
    return " ".join(fold_text(label).translate(_PUNCT_ONE).strip(" :,").split())


def with_learned(schemas: SchemaSet, variants: Iterable[LearnedVariant]) -> SchemaSet:
    """``schemas`` with each learned label added to its field's labels (the caller picks
    the office's variants). Titles, cues and versions are unchanged, so classification and
    the schema fingerprint are the same."""
    by_field: dict[tuple[str, str], list[str]] = {}
    for v in variants:
        by_field.setdefault((v.doc_type, v.field), []).append(v.label)
    if not by_field:
        return schemas
    return replace(schemas, schemas=tuple(_schema_with(s, by_field) for s in schemas.schemas))


def _schema_with(
    schema: DocumentSchema, by_field: dict[tuple[str, str], list[str]]
) -> DocumentSchema:
    fields = []
    for spec in schema.fields:
        known = {folded_label(label) for label in (*spec.labels, *spec.section_labels)}
        new = []
        for label in by_field.get((schema.doc_type, spec.name), ()):
            if folded_label(label) not in known:
                known.add(folded_label(label))
                new.append(label)
        fields.append(replace(spec, labels=(*spec.labels, *new)) if new else spec)
    return replace(schema, fields=tuple(fields))


# ----------------------------------------------------------------------------- reading


def merge_learned(
    schema: DocumentSchema, plain: Understanding, learned: Understanding
) -> Understanding:
    """The reading with learned labels, each learned label's part trusted less: a field's
    confidence from the reading with them is lowered by :data:`LEARNED_FACTOR`, and where
    the schema's own labels read the same value (``plain``) that reading's confidence
    stands if higher. A field is ``ok`` only if it still reaches the schema's threshold;
    a field a learned label took away from the schema's reading is kept as the schema
    read it, for a clerk."""
    fields: dict[str, FieldValue] = {}
    for spec in schema.fields:
        base, new = plain.fields.get(spec.name), learned.fields.get(spec.name)
        if new is None:
            if base is not None:
                fields[spec.name] = replace(base, status="needs_review")
            continue
        confidence = new.confidence * LEARNED_FACTOR
        if base is not None and base.value == new.value:
            confidence = max(confidence, base.confidence)
        ok = new.status == "ok" and confidence >= schema.min_confidence
        fields[spec.name] = replace(
            new, confidence=round(confidence, 4), status="ok" if ok else "needs_review"
        )
    missing = [s.name for s in schema.fields if s.required and s.name not in fields]
    key = fields.get(schema.key) if schema.key else None
    key_value = (
        str(key.value) if key is not None and key.status == "ok" and key.value is not None else None
    )
    return Understanding(learned.doc_type, learned.doc_type_confidence, fields, missing, key_value)


# ----------------------------------------------------------------------------- learning


def learn_label(
    pages: Sequence[Sequence[OcrWord]],
    schemas: SchemaSet,
    doc_type: str,
    field_name: str,
    value: str,
) -> Finding:
    """The label a corrected ``value`` of ``field_name`` stood under on these pages, or
    None with the reasons. ``schemas`` should already hold the office's learned labels, so
    that a label learned before counts as known."""
    schema = schemas.get(doc_type)
    spec = next((f for f in schema.fields if f.name == field_name), None) if schema else None
    if schema is None or spec is None:
        return Finding(None, reasons=(f"{doc_type} has no field {field_name}",))
    if spec.anchor is not None and not spec.labels:
        return Finding(None, reasons=(f"{field_name} is found by its place, not by a label",))
    segments = before_headings(segments_of(pages), schema.ignore_after)
    spots = value_places(segments, spec, value)
    if not spots:
        return Finding(None, reasons=("the value is not among the page's words",))
    hits = label_hits(segments, schema, schemas.stop_labels)
    found: dict[str, list[tuple[str, str]]] = {"line": [], "above": []}
    reasons: list[str] = []
    for seg, first in spots:
        placement, where, label = _label_of(segments, seg, first)
        if label is None or where is None:
            continue
        problem = _read_already(hits, spec, where, seg, first, label)
        problem = problem or refusal(label, schema, spec, schemas.stop_labels)
        if problem is None:
            problem = _too_common(label, segments, schema, spec)
        if problem is None:
            found[placement].append((folded_label(label), label))
        elif problem not in reasons:
            reasons.append(problem)
    for placement in ("line", "above"):
        distinct = {folded: label for folded, label in found[placement]}
        if len(distinct) == 1:
            return Finding(next(iter(distinct.values())), placement)
        if len(distinct) > 1:
            words = ", ".join(f"'{label}'" for label in distinct.values())
            return Finding(None, reasons=(f"the value stands under several labels ({words})",))
    return Finding(None, reasons=tuple(reasons) or ("no words label the value on its page",))


def refusal(
    label: str, schema: DocumentSchema, spec: FieldSpec, stop_labels: Sequence[str]
) -> str | None:
    """Why ``label`` must not become a label of ``spec``, or None when it may."""
    shown = f"'{label}'"
    letters = sum(c.isalpha() for c in label)
    words = label.split()
    if any(c.isdigit() for c in label):
        return f"{shown} holds digits: part of a value, not a label"
    if len(words) < _MIN_WORDS or letters < _MIN_LETTERS:
        return f"{shown} is too short to be told from other text"
    if len(words) > _MAX_WORDS or len(label) > _MAX_CHARS:
        return f"{shown} is a sentence, not a label"
    if _caps_run(words):
        return f"{shown} holds upper-case words: a value or a title, not a label"
    key = folded_label(label)
    if key in {folded_label(known) for known in (*spec.labels, *spec.section_labels)}:
        return f"{shown} is already a label of {spec.name}"
    own = _likeness(key, (*spec.labels, *spec.section_labels))
    others = [
        (_likeness(key, (*f.labels, *f.section_labels)), f.name)
        for f in schema.fields
        if f.name != spec.name
    ]
    closest, owner = max(others, default=(0.0, ""))
    if closest >= _SAME_LABEL and closest >= own:  # "… người cha" is no label of the mother
        return f"{shown} is the label of {owner}"
    if _like(key, stop_labels):
        return f"{shown} is a label every form shares (schemas/_common.toml)"
    headings = [h for s in schema.sections for h in s.headings]
    if _like(key, (*headings, *schema.titles, *schema.title_prefixes)):
        return f"{shown} is a heading or a title of {schema.doc_type}"
    return None


def _likeness(key: str, labels: Iterable[str]) -> float:
    return max((fuzz.ratio(key, folded_label(label)) for label in labels), default=0.0)


def _like(key: str, labels: Iterable[str]) -> bool:
    return _likeness(key, labels) >= _SAME_LABEL


def _caps_run(words: Sequence[str]) -> bool:
    caps = [sum(c.isalpha() for c in w) >= 2 and w.isupper() for w in words]
    return any(a and b for a, b in pairwise(caps))


def _read_already(
    hits: Sequence[LabelHit], spec: FieldSpec, where: Segment, seg: Segment, first: int, label: str
) -> str | None:
    """The field is read through a label at that place already (its value was misread or
    doubtful): nothing to learn. Words merely like a listed label are learned when
    extraction does not take them for it."""
    for hit in hits:
        here = hit.segment.index == where.index
        if hit.owner == spec.name and here and (where is not seg or hit.end <= seg.starts[first]):
            return f"'{label}' is read as a label of {spec.name} already"
    return None


def _too_common(
    label: str, segments: Sequence[Segment], schema: DocumentSchema, spec: FieldSpec
) -> str | None:
    """Words that extraction would find on several lines of their own page are no label."""
    alone = replace(
        schema,
        fields=(
            replace(spec, labels=(label,), section_labels=(), section=None, opens_section=None),
        ),
        sections=(),
    )
    lines = {hit.segment.index for hit in label_hits(segments, alone, ())}
    if len(lines) > 1:
        return f"'{label}' is found on {len(lines)} lines of its own page"
    return None


# ----------------------------------------------------------------------------- the value


def _reads(spec: FieldSpec, text: str) -> str | None:
    """The value the pipeline would make of ``text`` for this field, if any."""
    raw = cut(spec, text)
    if raw is None:
        return None
    try:
        return NORMALIZERS[spec.type](raw)
    except NormalizeError:
        return None


def _key(value: str) -> str:
    return " ".join(fold_text(value).split())


def value_places(
    segments: Sequence[Segment], spec: FieldSpec, value: str
) -> list[tuple[Segment, int]]:
    """(segment, index of the first word) of every place the value is read from: the
    shortest run of words that normalizes to it (accents aside: the clerk may have
    corrected a misread letter); for free text, the start of a line's end that begins it."""
    want = _key(value)
    spots: list[tuple[Segment, int]] = []
    for seg in segments:
        words = [w.text for w in seg.words]
        first = _shortest(spec, words, want)
        if first is None and spec.type == "text":
            first = _begins(spec, words, want)
        spots += [(seg, i) for i in first or ()]
    return spots


def _shortest(spec: FieldSpec, words: Sequence[str], want: str) -> list[int] | None:
    for length in range(1, min(len(words), _MAX_VALUE_WORDS) + 1):
        starts = []
        for i in range(len(words) - length + 1):
            if _labels_next(words, i + length):
                continue  # "Nam hay nữ: Nữ": the "nữ" before the colon is the label's
            got = _reads(spec, " ".join(words[i : i + length]))
            if got is not None and _key(got) == want:
                starts.append(i)
        if starts:
            return starts
    return None


def _begins(spec: FieldSpec, words: Sequence[str], want: str) -> list[int] | None:
    """A long value broken over lines: its first line's part, at least three words."""
    for i in range(len(words)):
        if _labels_next(words, len(words)):
            return None
        got = _reads(spec, " ".join(words[i:]))
        if got is not None and len(got.split()) >= 3 and want.startswith(_key(got)):
            return [i]
    return None


def _labels_next(words: Sequence[str], end: int) -> bool:
    """The words before ``end`` are followed by a colon: a label's, not a value."""
    return words[end - 1].endswith(":") or (end < len(words) and words[end].startswith(":"))


# ----------------------------------------------------------------------------- the label


def _label_of(
    segments: Sequence[Segment], seg: Segment, first: int
) -> tuple[str, Segment | None, str | None]:
    """The words that label the value starting at word ``first`` of ``seg``, and the
    segment they are on: before it on its line, else the line above it (which must end
    with a colon or be a few words without digits)."""
    before = _ENUMERATOR.sub("", seg.text[: seg.starts[first]]).strip(_SEPARATORS)
    if any(c.isalnum() for c in before):
        return "line", seg, _label_from(before)
    up = _above(segments, seg, seg.words[first])
    if up is None:
        return "above", None, None
    text = _ENUMERATOR.sub("", up.text).strip()
    if not text.endswith(":") and (len(text.split()) > 6 or any(c.isdigit() for c in text)):
        return "above", None, None
    return "above", up, _label_from(text.strip(_SEPARATORS))


def _label_from(text: str) -> str | None:
    """The label in the text before a value: after the last ':' or ';' (what came before
    is an earlier label and its value), from the last capitalised word that starts
    lower-case words ("Nam Nơi ở hiện nay" → "Nơi ở hiện nay")."""
    text = _ENUMERATOR.sub("", re.split(r"[:;]", text)[-1]).strip(_SEPARATORS)
    text = _NOTE.sub("", text).strip(_SEPARATORS)  # the label's own note, skipped when read
    words = text.split()
    if not words:
        return None
    starts = [i for i, w in enumerate(words) if w[:1].isupper() and not w.isupper()]
    return " ".join(words[starts[-1] if starts else 0 :]).strip(_SEPARATORS) or None


def _above(segments: Sequence[Segment], seg: Segment, word: OcrWord) -> Segment | None:
    """The nearest segment over ``seg`` on its page that overlaps the value's first word's
    column (from the line's start to that word's end)."""
    best: Segment | None = None
    for other in segments:
        if other.page != seg.page or other.bottom > seg.top + seg.height // 2:
            continue
        if seg.top - other.bottom > 1.6 * max(seg.height, 1):
            continue
        if other.right < seg.left or other.left > word.left + word.width:
            continue
        if best is None or other.bottom > best.bottom:
            best = other
    return best
