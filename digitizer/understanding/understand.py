"""Document understanding: type, fields, their confidence and whether a clerk must look.

The costliest error is a wrong value marked ``ok``. So a field is ``ok`` only when all of
these hold: its label was found (or it has a structural anchor, or a QR gave it), its value
normalises and passes every check (a personal ID agrees with the date of birth and gender
on the same document), and its confidence — from the OCR confidences of the very words it
was read from, the label match, and agreement with other readings of it — reaches the
schema's threshold. Everything else is ``needs_review``; a missing required field makes the
document ``needs_review``; a document not confidently of a known type is ``unknown`` with
no fields at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from digitizer.records import FieldValue, OcrWord
from digitizer.understanding.anchors import alone_candidates, place_date_candidates
from digitizer.understanding.blanks import ReadBlank, agree_with_kind, fill_blanks
from digitizer.understanding.classify import UNKNOWN, Classification, classify
from digitizer.understanding.decree30 import read_zones
from digitizer.understanding.extract import Candidate, candidates, label_hits
from digitizer.understanding.layout import Segment, before_headings, fold_text, segments_of
from digitizer.understanding.learned import DocTypeModel
from digitizer.understanding.names import NameBook
from digitizer.understanding.normalize import NORMALIZERS, NormalizeError
from digitizer.understanding.reading import Reading as _Reading
from digitizer.understanding.schema import DocumentSchema, FieldSpec, SchemaSet
from digitizer.understanding.scoring import as_json_value, find_spelling, ocr_score, word_confs
from digitizer.understanding.validate import check_personal_id, field_problems, holder_of
from digitizer.understanding.values import (
    cut,
    ends_unnamed,
    fix_address_words,
    fix_spellings,
    is_choices,
)
from digitizer.understanding.zone_values import (
    nearest_choice,
    respell_phrases,
    spell_signer,
    zone_confidence,
)
from digitizer.understanding.zones import Zones

log = logging.getLogger(__name__)

_QR_SCORE = 0.999
_FAILED_CHECK_CAP = 0.3
# Digit strings whose every digit matters and that no check can fully verify (the last six
# digits of a personal ID are random): Tesseract reads clean digits at 93-97 %, and a word
# under this floor is a misread often enough that a clerk must look.
_UNLISTED_CAP = 0.6  # a value none of the field's choices: a clerk reads it
_DIGIT_STRINGS = ("personal_id", "phone")
_DIGIT_WORD_FLOOR = 0.88
_DIGIT_WORD_CAP = 0.75


@dataclass(slots=True)
class Understanding:
    doc_type: str
    doc_type_confidence: float
    fields: dict[str, FieldValue] = field(default_factory=dict)
    missing_required: list[str] = field(default_factory=list)
    key_value: str | None = None  # the schema's key field, when it was read as ok

    @property
    def needs_review(self) -> bool:
        return bool(self.missing_required) or any(
            f.status == "needs_review" for f in self.fields.values()
        )


def _box(words: Sequence[OcrWord]) -> tuple[int, int, int, int] | None:
    """The box around the words a value was read from (left, top, width, height)."""
    if not words:
        return None
    left, top = min(w.left for w in words), min(w.top for w in words)
    right = max(w.left + w.width for w in words)
    bottom = max(w.top + w.height for w in words)
    return left, top, right - left, bottom - top


# Reads the text of a box (page, x0, y0, x1, y1) again, as one line, at a scale: the
# pipeline gives one that crops the page image and runs the OCR engine.
Reread = Callable[[int, tuple[int, int, int, int], float], str]
_REREAD_SCALES = (1.0, 1.5)


def _is_personal_name(spec: FieldSpec) -> bool:
    return spec.type == "name" and not spec.name.startswith("business")


def _is_address(spec: FieldSpec) -> bool:
    return spec.type == "text" and spec.name.endswith("address")


class Understander:
    """Reusable across documents: holds the schemas and the reference data."""

    def __init__(
        self,
        schemas: SchemaSet,
        province_codes: frozenset[str],
        today: dt.date | None = None,
        model: DocTypeModel | None = None,
    ) -> None:
        # a model trained against other schema versions is not used
        self.model = (
            model if model is not None and model.fingerprint == schemas.fingerprint else None
        )
        self.schemas = schemas
        self.province_codes = province_codes
        self.today = today or dt.date.today()
        self.names = NameBook.load()

    def understand(
        self,
        pages: Sequence[Sequence[OcrWord]],
        codes: Sequence[Sequence[str]] = (),
        reread: Reread | None = None,
        read_blank: ReadBlank | None = None,
    ) -> Understanding:
        """``pages``: OCR words per page; ``codes``: decoded QR/barcode values per page;
        ``read_blank`` reads a printed blank's handwritten value with other recognizers."""
        segments = segments_of(pages)
        zones = self._zones(segments)
        kind = classify(segments, self.schemas, zones)
        if kind.doc_type == UNKNOWN and self.model is not None and segments:
            predicted = self.model.predict(" ".join(s.folded for s in segments))
            if predicted is not None:  # rules not decisive: the learned model may be
                kind = Classification(predicted[0], round(0.8 * predicted[1], 4))
        schema = self.schemas.get(kind.doc_type)
        if schema is None:
            return Understanding(UNKNOWN, kind.confidence)
        segments = before_headings(segments, schema.ignore_after)
        hits = label_hits(segments, schema, self.schemas.stop_labels)
        found = candidates(segments, hits, schema)
        verdicts = {}
        if schema.layout is not None and zones is not None:
            verdicts = fill_blanks(zones, read_blank)
            for spec in schema.fields:
                if spec.zone is not None:
                    found[spec.name] = zones.found.get(spec.zone, [])
        anchored: dict[str, list[Candidate]] = {}
        for spec in schema.fields:
            if spec.anchor == "place_date":
                anchored[spec.name] = place_date_candidates(segments, spec)
            elif spec.anchor == "alone":
                anchored[spec.name] = alone_candidates(segments, spec)
        result = Understanding(kind.doc_type, kind.confidence)
        readings: dict[str, _Reading] = {}
        for spec in schema.fields:
            reading = self._best(spec, found[spec.name], codes)
            if reading is None and spec.name in anchored:  # the anchor is the fallback
                reading = self._best(spec, anchored[spec.name], codes)
            if reading is not None:
                readings[spec.name] = reading
        self._cross_check(schema, readings)
        for name, verdict in verdicts.items():
            if name in readings:
                readings[name] = verdict.apply(readings[name])
        agree_with_kind(readings)
        if reread is not None:
            for spec in schema.fields:
                if spec.name in readings and (spec.type == "name" or _is_address(spec)):
                    readings[spec.name] = self._vote(spec, readings[spec.name], pages, reread)
        for spec in schema.fields:
            if spec.name in readings and _is_personal_name(spec):
                readings[spec.name] = self._spell(readings[spec.name])
            elif spec.name in readings and spec.type == "name":
                readings[spec.name] = self._spell_last(readings[spec.name])
            elif spec.name in readings and spec.zone == "signer_name":
                readings[spec.name] = spell_signer(self.names, readings[spec.name])
        for spec in schema.fields:
            reading = readings.get(spec.name)
            if reading is None:
                if spec.required:
                    result.missing_required.append(spec.name)
                continue
            ok = not reading.problems and reading.confidence >= schema.min_confidence
            result.fields[spec.name] = FieldValue(
                as_json_value(spec, reading.value) if not reading.problems else reading.value,
                round(reading.confidence, 4),
                "ok" if ok else "needs_review",
                reading.page,
                reading.box or _box(reading.words),
                reading.origin,
            )
        key = result.fields.get(schema.key) if schema.key else None
        if key is not None and key.status == "ok" and key.value is not None:
            result.key_value = str(key.value)
        return result

    def _zones(self, segments: Sequence[Segment]) -> Zones | None:
        """The Decree 30 zones, when an installed schema reads that layout."""
        layout = next((s for s in self.schemas.schemas if s.layout == "decree30"), None)
        return None if layout is None else read_zones(segments, layout.titles)

    # ----------------------------------------------------------------- one field

    def _best(
        self, spec: FieldSpec, found: list[Candidate], codes: Sequence[Sequence[str]]
    ) -> _Reading | None:
        readings = [r for c in found if (r := self._read(spec, c)) is not None]
        if spec.qr:
            for page_no, page_codes in enumerate(codes):
                for code in page_codes:
                    qr = self._qr_reading(spec, code, page_no)
                    if qr is not None:
                        return qr  # a decoded value beats OCR for its field
        if not readings:
            return None
        clean = [r for r in readings if not r.problems] or readings
        best = max(clean, key=lambda r: r.confidence)
        # Readings of the same field that disagree: nobody can tell which is right.
        distinct = {r.value for r in clean}
        if len(distinct) > 1:
            return replace(
                best,
                confidence=min(best.confidence, 0.5),
                problems=(*best.problems, "the document gives different values"),
            )
        agreeing = sum(1 for r in clean if r.value == best.value)
        boost = min(0.05 * (agreeing - 1), 0.1)
        return replace(best, confidence=min(1.0, best.confidence + boost))

    def _read(self, spec: FieldSpec, cand: Candidate) -> _Reading | None:
        # a zone's value is cut out already; its type's normaliser still checks it
        raw = cand.raw.strip() or None if spec.zone is not None else cut(spec, cand.raw)
        if raw is None and cand.next_line and spec.type in ("date", "personal_id", "phone"):
            raw = cut(spec, f"{cand.raw} {cand.next_line}")
        if raw is None:
            return None
        page = cand.page
        try:
            value = NORMALIZERS[spec.type](raw)
        except NormalizeError as exc:
            return _Reading(raw, _FAILED_CHECK_CAP * cand.label_score, (str(exc),), page)
        words = [
            w
            for w in cand.words
            if fold_text(w.text).strip(",.;:") and fold_text(w.text).strip(",.;:") in fold_text(raw)
        ] or list(cand.words)
        confidence = cand.label_score * ocr_score(words)
        if spec.zone is not None:  # a zone's words are all its value's, specks included
            words = list(cand.words)
            confidence = zone_confidence(cand.label_score, words)
        if spec.type in _DIGIT_STRINGS and min(word_confs(words)) < _DIGIT_WORD_FLOOR:
            # one digit misread keeps a plausible ID: a hesitant engine is the only sign
            confidence = min(confidence, _DIGIT_WORD_CAP)
        if _is_address(spec):
            value = fix_address_words(value)
            if ends_unnamed(value):
                confidence = min(confidence, _UNLISTED_CAP)  # cut short
        if spec.spellings and spec.zone is not None:
            value = respell_phrases(value, spec.spellings)
        elif spec.spellings:
            value = fix_spellings(value, spec.spellings)
        if spec.choices:
            value = fix_spellings(value, spec.choices)
            if not is_choices(value, spec.choices):
                confidence = min(confidence, _UNLISTED_CAP)
                if spec.zone is not None:  # a zone holds one choice: its nearest, for review
                    value = nearest_choice(value, spec.choices)
        if _is_personal_name(spec):
            value, known = self.names.family_name(value)
            if not known:
                confidence *= 0.9
        problems = self._checks(spec, value)
        if problems:
            confidence = min(confidence, _FAILED_CHECK_CAP)
        return _Reading(value, confidence, tuple(problems), page, tuple(words))

    def _spell(self, reading: _Reading) -> _Reading:
        """A name checked word by word against the name tables; a corrected spelling goes
        to a clerk, and so does a name with a word no table knows (less sure of it)."""
        spelling = self.names.spell(reading.value)
        if spelling.changed:
            return replace(
                reading,
                value=spelling.value,
                confidence=min(reading.confidence, 0.6),
                problems=(
                    *reading.problems,
                    f"spelling corrected from the name tables (read {reading.value!r})",
                ),
            )
        if not spelling.known:
            return replace(reading, confidence=reading.confidence * 0.95)
        return reading

    def _spell_last(self, reading: _Reading) -> _Reading:
        """A business name ends with its owner's given name ("TẠP HÓA THÀNH"): a last word
        spelled as no name is (accents lost) goes to a clerk, uncorrected (it may not be a
        name)."""
        words = reading.value.split()
        if len(words) < 2 or not self.names.doubtful_word(words[-1]):
            return reading
        return replace(reading, confidence=min(reading.confidence, _UNLISTED_CAP))

    def _qr_reading(self, spec: FieldSpec, code: str, page: int) -> _Reading | None:
        try:
            value = NORMALIZERS[spec.type](code)
        except NormalizeError:
            return None
        if self._checks(spec, value):
            return None
        return _Reading(value, _QR_SCORE, (), page, origin="qr")

    def _checks(self, spec: FieldSpec, value: str) -> list[str]:
        return field_problems(spec, value, today=self.today)

    def _vote(
        self,
        spec: FieldSpec,
        reading: _Reading,
        pages: Sequence[Sequence[OcrWord]],
        reread: Reread,
    ) -> _Reading:
        """Read a name's line again, alone and enlarged; the majority spelling wins, and
        any disagreement leaves it to a clerk.

        Tesseract misreads the stacked accents of capitals with high confidence ("QUẦN" for
        "QUÂN" at 99 %), and a line read on its own often reads them differently: a name
        that three readings agree on is far more trustworthy than any confidence value.
        """
        if reading.page is None or not reading.words or reading.problems:
            return reading
        line_ids = {w.line for w in reading.words}
        line = [w for w in pages[reading.page] if w.line in line_ids]
        box = (
            min(w.left for w in line),
            min(w.top for w in line),
            max(w.left + w.width for w in line),
            max(w.top + w.height for w in line),
        )
        key = fold_text(reading.value)
        votes = [reading.value]
        for scale in _REREAD_SCALES:
            found = find_spelling(reread(reading.page, box, scale), key, upper=spec.type == "name")
            if found is None:
                continue
            if _is_personal_name(spec):
                found = self.names.family_name(found)[0]
            elif _is_address(spec):
                found = fix_address_words(found)
            found = fix_spellings(found, spec.spellings)
            votes.append(found)
        if len(votes) == 1:
            return reading
        tally = Counter(votes)
        value, count = tally.most_common(1)[0]
        if count == len(votes):
            return reading
        return _Reading(
            value if count > len(votes) / 2 else reading.value,
            min(reading.confidence, 0.6),
            (*reading.problems, "independent readings of the value disagree"),
            reading.page,
            reading.words,
        )

    # ----------------------------------------------------------------- across fields

    def _cross_check(self, schema: DocumentSchema, readings: dict[str, _Reading]) -> None:
        """A personal ID must agree with the holder's date of birth and gender."""
        for spec in schema.fields:
            reading = readings.get(spec.name)
            if spec.type != "personal_id" or reading is None or reading.problems:
                continue
            settled = {name: r.value for name, r in readings.items() if not r.problems}
            dob, gender = holder_of(spec, settled)
            problems = check_personal_id(
                reading.value, date_of_birth=dob, gender=gender, province_codes=self.province_codes
            )
            if problems:
                readings[spec.name] = replace(
                    reading,
                    confidence=min(reading.confidence, _FAILED_CHECK_CAP),
                    problems=tuple(problems),
                )
