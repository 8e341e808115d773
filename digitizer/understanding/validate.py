"""Checks on normalized values: each returns its problems, one line each; empty means valid.

A value that normalizes can still be wrong: an OCR slip in a personal ID usually keeps it 12
digits, but breaks its agreement with the province table, the date of birth or the gender
printed on the same document. Problems never quote a personal ID or a name (Decree 13/2023:
they may end up in logs).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from digitizer.errors import ConfigurationError

if TYPE_CHECKING:
    from digitizer.understanding.schema import FieldSpec

__all__ = [
    "DEFAULT_PROVINCES_FILE",
    "check_date",
    "check_pattern",
    "check_personal_id",
    "check_range",
    "load_province_codes",
]

DEFAULT_PROVINCES_FILE = (
    Path(__file__).resolve().parent.parent / "data" / "personal_id_provinces.csv"
)
_EARLIEST = dt.date(1900, 1, 1)
_GENDERS = ("male", "female")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")


def load_province_codes(path: Path | None = None) -> frozenset[str]:
    """The 3-digit province codes of personal IDs, from a ``code,name`` CSV ('#' comments).

    Kept as data because the table is the Ministry's to change; a broken file stops start-up
    with one line naming the file and the problem.
    """
    path = path or DEFAULT_PROVINCES_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the province codes: {exc}") from exc
    rows = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    rows = [(n, line) for n, line in rows if not line.lstrip().startswith("#")]
    if not rows or [c.strip() for c in rows[0][1].split(",")] != ["code", "name"]:
        raise ConfigurationError(f"{path}: the first row must be the header 'code,name'")
    codes: set[str] = set()
    for number, line in rows[1:]:
        record = next(csv.reader([line]))
        if len(record) != 2 or not record[1].strip():
            raise ConfigurationError(f"{path}: line {number}: expected 'code,name'")
        code = record[0].strip()
        if not re.fullmatch(r"\d{3}", code):
            raise ConfigurationError(f"{path}: line {number}: code must be 3 digits")
        if code in codes:
            raise ConfigurationError(f"{path}: line {number}: code {code} is listed twice")
        codes.add(code)
    return frozenset(codes)


def check_personal_id(
    value: str,
    *,
    date_of_birth: dt.date | None,
    gender: str | None,
    province_codes: Collection[str],
    birth_year: int | None = None,
    today: dt.date | None = None,
) -> list[str]:
    """A 12-digit personal ID against DOMAIN.md's structure and the holder's other fields.

    Digits 1-3: a province code of birth registration; digit 4: century and gender (0/1
    male/female born 1900-1999, 2/3 born 2000-2099; higher digits are later centuries, so
    nobody alive has them); digits 5-6: the year of birth. ``date_of_birth`` and ``gender``
    (``male``/``female``) are what the same document prints, None when it prints nothing;
    ``birth_year`` serves when a document prints only the year ("sinh năm 1970", land
    certificates); ``today`` bounds the encoded year when there is neither. A 9-digit old CMND
    number has no structure; it is only refused when it reads as the start of the holder's
    12-digit ID (a number cut at a line break).
    """
    if gender is not None and gender not in _GENDERS:
        raise ValueError(f"gender must be 'male', 'female' or None, not {gender!r}")
    if not _ASCII_DIGITS.fullmatch(value):
        return ["a personal ID has only digits"]
    if date_of_birth is not None and birth_year is not None and birth_year != date_of_birth.year:
        raise ValueError("birth_year and date_of_birth disagree")
    year_of_birth = date_of_birth.year if date_of_birth is not None else birth_year
    if len(value) == 9:
        return _check_cmnd(value, year_of_birth, gender, province_codes)
    if len(value) != 12:
        return [f"a personal ID has 12 digits (9 for an old CMND), this one {len(value)}"]
    problems: list[str] = []
    if value[:3] not in province_codes:
        problems.append(f"{value[:3]} is not a province code of personal IDs")
    digit = int(value[3])
    if digit > 3:
        problems.append(f"century digit {digit} of the personal ID means born after 2099")
        return problems
    year = 1900 + 100 * (digit // 2) + int(value[4:6])
    id_gender = "female" if digit % 2 else "male"
    if year_of_birth is not None and year_of_birth != year:
        problems.append(
            f"the personal ID says born in {year}, the date of birth says {year_of_birth}"
        )
    elif year_of_birth is None and today is not None and year > today.year:
        problems.append(f"the personal ID says born in {year}, which is in the future")
    if gender is not None and gender != id_gender:
        problems.append(f"the personal ID is a {id_gender} person's, the document says {gender}")
    return problems


def _check_cmnd(
    value: str, year_of_birth: int | None, gender: str | None, province_codes: Collection[str]
) -> list[str]:
    """A 9-digit CMND number has no structure, but a 12-digit ID cut short at a line break
    does: its first digits agree with the holder's date of birth (and gender), which a real
    CMND does by chance about once in a thousand. Such a value goes to review."""
    if year_of_birth is None or value[:3] not in province_codes or int(value[3]) > 3:
        return []
    digit = int(value[3])
    year = 1900 + 100 * (digit // 2) + int(value[4:6])
    if year != year_of_birth:
        return []
    if gender is not None and gender != ("female" if digit % 2 else "male"):
        return []
    return ["9 digits that begin like the holder's 12-digit personal ID: cut short?"]


def check_date(value: str | dt.date, *, today: dt.date, earliest: dt.date = _EARLIEST) -> list[str]:
    """An ISO date that exists, not after ``today`` and not before ``earliest``."""
    if isinstance(value, str):
        if not _ISO.fullmatch(value):
            return ["not a date of the form YYYY-MM-DD"]
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return ["no such date"]
    if value > today:
        return [f"the date is after today ({today.isoformat()})"]
    if value < earliest:
        return [f"the date is before {earliest.isoformat()}"]
    return []


def check_range(value: str | int | float | Decimal, low: float, high: float) -> list[str]:
    """A number (as normalizers give it: "1171.9", "3") within ``low`` ≤ value ≤ ``high``."""
    if low > high:
        raise ValueError(f"empty range {low}..{high}")
    number: Decimal
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            return ["not a number"]
        number = Decimal(value)
    elif isinstance(value, bool):
        return ["not a number"]
    else:
        try:
            number = Decimal(value)
        except (InvalidOperation, ValueError):
            return ["not a number"]
        if not number.is_finite():
            return ["not a number"]
    if number < low or number > high:
        return [f"{value} is not between {low:g} and {high:g}"]
    return []


def check_pattern(value: str, regex: str | re.Pattern[str]) -> list[str]:
    """The whole value matches ``regex`` (a schema's ``pattern``)."""
    pattern = regex if isinstance(regex, re.Pattern) else re.compile(regex)
    if pattern.fullmatch(value) is None:
        return [f"the value does not have the expected form {pattern.pattern}"]
    return []


# ----------------------------------------------------------------- one field, by its rules

_PATTERN_TYPES = ("code", "number", "text", "name", "personal_id")
_RANGE_TYPES = ("number", "area", "money")
GENDERS = ("male", "female")


def field_problems(spec: FieldSpec, value: str, *, today: dt.date) -> list[str]:
    """A normalized value against its field's own rules: pattern, plausible date, range.

    The one place these rules are applied: to what the pipeline reads (and to a QR code's
    value) as to what a clerk types in review, so a value a clerk can save is one the
    pipeline would have accepted.
    """
    problems: list[str] = []
    if spec.pattern is not None and spec.type in _PATTERN_TYPES:
        problems += check_pattern(value, spec.pattern.pattern)
    if spec.type == "date":
        problems += check_date(value, today=today)
    if spec.type in _RANGE_TYPES and (spec.min_value is not None or spec.max_value is not None):
        low = spec.min_value if spec.min_value is not None else float("-inf")
        high = spec.max_value if spec.max_value is not None else float("inf")
        problems += check_range(value, low, high)
    return problems


def holder_of(spec: FieldSpec, settled: Mapping[str, str]) -> tuple[dt.date | None, str | None]:
    """The date of birth and gender a personal-ID field must agree with (its
    ``same_person`` = "dob_field,gender_field_or_value"), from the document's settled
    values (name -> normalized value); None where unknown."""
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
    if gender_ref in GENDERS:
        gender = gender_ref
    elif gender_ref and settled.get(gender_ref) in GENDERS:
        gender = settled[gender_ref]
    return dob, gender
