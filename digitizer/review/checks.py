"""A clerk's value checked by the very rules the pipeline reads values with.

The pipeline (:class:`digitizer.understanding.understand.Understander`) and this module
share the pieces: ``NORMALIZERS[spec.type]``, ``fix_spellings``, ``field_problems`` (pattern,
date, range), ``holder_of`` and ``check_personal_id``, so a value a clerk saves is one the
pipeline would have marked ``ok`` had it read it.

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
from digitizer.understanding.validate import check_personal_id, field_problems, holder_of
from digitizer.understanding.values import fix_spellings, is_choices


@dataclass(frozen=True, slots=True)
class Checked:
    """A value as it would be stored (``value``) and its problems; empty means valid."""

    value: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.value is not None and not self.problems


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
    problems += field_problems(spec, value, today=today)
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
        dob, gender = holder_of(spec, settled)
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
        dob, gender = holder_of(other, with_this)
        found = check_personal_id(
            settled[other.name], date_of_birth=dob, gender=gender, province_codes=province_codes
        )
        problems += [f"{p} ({other.name})" for p in found]
    return problems
