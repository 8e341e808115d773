"""A clerk's value checked by the very rules the pipeline reads values with.

The pipeline's checks live in :class:`digitizer.understanding.understand.Understander`
(private ``_checks`` and ``_cross_check``, which work on its internal readings); this module
applies the same public pieces — ``NORMALIZERS[spec.type]``, ``fix_spellings``,
``check_pattern``, ``check_date``, ``check_range``, ``check_personal_id`` — the same way, so
a value a clerk saves is one the pipeline would have marked ``ok`` had it read it. (If the
understanding package ever exposes a ``check_value``, this module should call it.)

Cross-field checks use only *settled* values of the same document (status ``ok``): a value
still waiting for review may be the wrong one, and trusting it would leave a clerk unable
to save the right value of the other field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from digitizer.understanding.normalize import NORMALIZERS, NormalizeError
from digitizer.understanding.schema import DocumentSchema, FieldSpec
from digitizer.understanding.scoring import as_json_value
from digitizer.understanding.validate import (
    check_date,
    check_pattern,
    check_personal_id,
    check_range,
)
from digitizer.understanding.values import fix_spellings, is_choices

_PATTERN_TYPES = ("code", "number", "text", "name", "personal_id")
_RANGE_TYPES = ("number", "area", "money")
_GENDERS = ("male", "female")


@dataclass(frozen=True, slots=True)
class Checked:
    """A value as it would be stored (``value``) and its problems; empty means valid."""

    value: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.value is not None and not self.problems


def _person_of(spec: FieldSpec, settled: Mapping[str, str]) -> tuple[dt.date | None, str | None]:
    """The date of birth and gender that a personal ID must agree with (``same_person``)."""
    if not spec.same_person:
        return None, None
    dob_field, _, gender_ref = spec.same_person.partition(",")
    dob = None
    if dob_field in settled:
        try:
            dob = dt.date.fromisoformat(settled[dob_field])
        except ValueError:
            dob = None
    gender: str | None = None
    if gender_ref in _GENDERS:
        gender = gender_ref
    elif gender_ref and settled.get(gender_ref) in _GENDERS:
        gender = settled[gender_ref]
    return dob, gender


def check_value(
    schema: DocumentSchema,
    spec: FieldSpec,
    raw: str,
    settled: Mapping[str, str],
    *,
    province_codes: Collection[str],
    today: dt.date,
) -> Checked:
    """Normalize ``raw`` as ``spec``'s type and check it; ``settled``: the document's other
    fields that are ``ok`` (name -> stored value)."""
    try:
        value = NORMALIZERS[spec.type](raw)
    except NormalizeError as exc:
        return Checked(None, (str(exc),))
    if spec.spellings:
        value = fix_spellings(value, spec.spellings)
    problems: list[str] = []
    if spec.choices:
        value = fix_spellings(value, spec.choices)
        if not is_choices(value, spec.choices):
            problems.append("the value is none of the field's listed values")
    if spec.pattern is not None and spec.type in _PATTERN_TYPES:
        problems += check_pattern(value, spec.pattern.pattern)
    if spec.type == "date":
        problems += check_date(value, today=today)
    if spec.type in _RANGE_TYPES and (spec.min_value is not None or spec.max_value is not None):
        low = spec.min_value if spec.min_value is not None else float("-inf")
        high = spec.max_value if spec.max_value is not None else float("inf")
        problems += check_range(value, low, high)
    if problems:
        return Checked(None, tuple(problems))
    problems += _cross_checks(schema, spec, value, settled, province_codes)
    if problems:
        return Checked(None, tuple(problems))
    return Checked(str(as_json_value(spec, value)), ())


def _cross_checks(
    schema: DocumentSchema,
    spec: FieldSpec,
    value: str,
    settled: Mapping[str, str],
    province_codes: Collection[str],
) -> list[str]:
    """A personal ID against its holder's settled date of birth and gender; and a date of
    birth or gender against a settled personal ID that names them (both directions)."""
    if spec.type == "personal_id":
        dob, gender = _person_of(spec, settled)
        return check_personal_id(
            value, date_of_birth=dob, gender=gender, province_codes=province_codes
        )
    problems: list[str] = []
    for other in schema.fields:
        if other.type != "personal_id" or not other.same_person or other.name not in settled:
            continue
        dob_field, _, gender_ref = other.same_person.partition(",")
        if spec.name not in (dob_field, gender_ref):
            continue
        with_this = {**settled, spec.name: value}
        dob, gender = _person_of(other, with_this)
        found = check_personal_id(
            settled[other.name], date_of_birth=dob, gender=gender, province_codes=province_codes
        )
        problems += [f"{p} ({other.name})" for p in found]
    return problems
