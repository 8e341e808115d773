"""Validators of normalized values, the province table, and the sample generator against them.

A personal ID misread by one digit is still 12 digits; what catches it is its agreement with
the province table and with the date of birth and gender on the same document.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

import pytest

from digitizer.errors import ConfigurationError
from digitizer.understanding.normalize import NORMALIZERS
from digitizer.understanding.validate import (
    DEFAULT_PROVINCES_FILE,
    check_date,
    check_pattern,
    check_personal_id,
    check_range,
    load_province_codes,
)

ROOT = Path(__file__).resolve().parent.parent
SCANS = ROOT / "samples" / "scans"
CODES = load_province_codes()
TODAY = dt.date(2025, 11, 1)

# ----------------------------------------------------------------------------- province table


def test_province_table_has_the_63_pre_2025_provinces() -> None:
    assert len(CODES) == 63
    assert all(re.fullmatch(r"0\d\d", c) for c in CODES)
    for code in ("001", "002", "004", "024", "042", "079", "096"):
        assert code in CODES
    for code in ("000", "003", "005", "007", "023", "041", "078", "097", "099", "100", "24"):
        assert code not in CODES


def test_province_table_names_and_marking() -> None:
    text = DEFAULT_PROVINCES_FILE.read_text(encoding="utf-8")
    assert text == unicodedata.normalize("NFC", text)
    assert "(check)" in "".join(line for line in text.splitlines() if line.startswith("#"))
    rows = dict(
        line.split(",", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert rows["001"] == "Hà Nội"
    assert rows["024"] == "Bắc Giang"
    assert rows["042"] == "Hà Tĩnh"
    assert rows["079"] == "TP Hồ Chí Minh"
    assert rows["096"] == "Cà Mau"


def test_province_table_is_packaged_data() -> None:
    assert DEFAULT_PROVINCES_FILE.parent == ROOT / "digitizer" / "data"


def test_load_province_codes_from_another_file(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("# a comment\ncode,name\n001,Hà Nội\n\n024, Bắc Giang\n", encoding="utf-8")
    assert load_province_codes(path) == frozenset({"001", "024"})


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("001,Hà Nội\n", "header"),
        ("", "header"),
        ("code,name\n01,Hà Nội\n", "3 digits"),
        ("code,name\nabc,Hà Nội\n", "3 digits"),
        ("code,name\n001\n", "code,name"),
        ("code,name\n001,\n", "code,name"),
        ("code,name\n001,Hà Nội\n001,Hà Nội\n", "twice"),
    ],
)
def test_broken_province_file_stops_with_one_line(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError) as info:
        load_province_codes(path)
    message = str(info.value)
    assert str(path) in message and problem in message and "\n" not in message


def test_missing_province_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"missing\.csv"):
        load_province_codes(tmp_path / "missing.csv")


# ----------------------------------------------------------------------------- personal IDs

VALID_IDS: list[tuple[str, dt.date | None, str | None]] = [
    ("024070001234", dt.date(1970, 5, 1), "male"),
    ("042185123456", dt.date(1985, 12, 31), "female"),
    ("001200000001", dt.date(2000, 1, 1), "male"),
    ("079318654321", dt.date(2018, 4, 3), "female"),
    ("096099999999", dt.date(1999, 12, 31), "male"),
    ("001100000000", dt.date(1900, 1, 1), "female"),
    ("024070001234", None, None),
    ("024070001234", dt.date(1970, 5, 1), None),
    ("024070001234", None, "male"),
    ("002323000000", dt.date(2023, 1, 1), "female"),
]


@pytest.mark.parametrize(("value", "dob", "gender"), VALID_IDS)
def test_valid_personal_ids(value: str, dob: dt.date | None, gender: str | None) -> None:
    assert check_personal_id(value, date_of_birth=dob, gender=gender, province_codes=CODES) == []


INVALID_IDS: list[tuple[str, dt.date | None, str | None, str]] = [
    # province code of birth registration does not exist
    ("000070001234", dt.date(1970, 5, 1), "male", "province"),
    ("003070001234", dt.date(1970, 5, 1), "male", "province"),
    ("097070001234", dt.date(1970, 5, 1), "male", "province"),
    ("124070001234", dt.date(1970, 5, 1), "male", "province"),  # OCR l -> 1 in front
    ("999070001234", None, None, "province"),
    # the year digits disagree with the date of birth
    ("024071001234", dt.date(1970, 5, 1), "male", "1971"),
    ("024007001234", dt.date(1970, 5, 1), "male", "1907"),
    # the century digit disagrees with the date of birth
    ("024070001234", dt.date(2070, 5, 1), "male", "1970"),
    ("024205001234", dt.date(1905, 5, 1), "male", "2005"),
    ("024005001234", dt.date(2005, 5, 1), "male", "1905"),
    ("024305001234", dt.date(1905, 5, 1), "female", "2005"),
    # the gender digit disagrees with the gender
    ("024070001234", dt.date(1970, 5, 1), "female", "male"),
    ("024170001234", dt.date(1970, 5, 1), "male", "female"),
    ("024205001234", dt.date(2005, 5, 1), "female", "male"),
    ("024305001234", dt.date(2005, 5, 1), "male", "female"),
    # nobody alive was born after 2099
    ("024470001234", None, None, "2099"),
    ("024570001234", None, "female", "2099"),
    ("024970001234", dt.date(1970, 5, 1), "male", "2099"),
    # not an ID at all
    ("02407000123", None, None, "12 digits"),
    ("0240700012345", None, None, "12 digits"),
    ("", None, None, "digits"),
    ("02407000123a", None, None, "digits"),
    ("024 070 001 234", None, None, "digits"),
    ("０２４０７０００１２３４", None, None, "digits"),
    ("12345678a", None, None, "digits"),
    ("12345678", None, None, "12 digits"),
]


@pytest.mark.parametrize(("value", "dob", "gender", "reason"), INVALID_IDS)
def test_invalid_personal_ids(
    value: str, dob: dt.date | None, gender: str | None, reason: str
) -> None:
    problems = check_personal_id(value, date_of_birth=dob, gender=gender, province_codes=CODES)
    assert problems
    assert any(reason in p for p in problems), problems
    for problem in problems:
        assert "\n" not in problem
        if len(value) >= 6:
            assert value not in problem  # Decree 13: no personal ID in clear


def test_birth_year_alone() -> None:
    """Land certificates print "sinh năm 1944": the spouse's ID (born 1942) must not pass."""

    def check(value: str) -> list[str]:
        return check_personal_id(
            value, date_of_birth=None, gender=None, province_codes=CODES, birth_year=1944
        )

    assert check("040044145686") == []
    assert check("040142242819") == [
        "the personal ID says born in 1942, the date of birth says 1944"
    ]
    assert check("040044145")  # the holder's ID cut short


def test_birth_year_must_agree_with_the_date_of_birth() -> None:
    with pytest.raises(ValueError):
        check_personal_id(
            "024070001234",
            date_of_birth=dt.date(1970, 1, 1),
            birth_year=1971,
            gender=None,
            province_codes=CODES,
        )


def test_every_disagreement_is_reported() -> None:
    problems = check_personal_id(
        "099171001234", date_of_birth=dt.date(1970, 1, 1), gender="male", province_codes=CODES
    )
    assert len(problems) == 3


@pytest.mark.parametrize("dob", [None, dt.date(1970, 1, 1)])
@pytest.mark.parametrize("gender", [None, "male", "female"])
def test_old_cmnd_only_needs_digits(dob: dt.date | None, gender: str | None) -> None:
    assert (
        check_personal_id("123456789", date_of_birth=dob, gender=gender, province_codes=CODES) == []
    )


@pytest.mark.parametrize(
    ("value", "dob", "gender", "flagged"),
    [
        ("027198486", dt.date(1998, 3, 15), "female", True),  # 027 198 486|155 cut short
        ("027198486", dt.date(1998, 3, 15), None, True),
        ("024070001", dt.date(1970, 1, 1), "male", True),
        ("027198486", dt.date(1997, 3, 15), "female", False),  # a CMND, by chance similar
        ("027198486", dt.date(1998, 3, 15), "male", False),
        ("027198486", None, "female", False),
        ("121234567", dt.date(1912, 1, 1), "male", False),  # 121: no such province
        ("027598486", dt.date(1998, 3, 15), None, False),
    ],
)
def test_cmnd_that_is_a_cut_short_personal_id(
    value: str, dob: dt.date | None, gender: str | None, flagged: bool
) -> None:
    problems = check_personal_id(value, date_of_birth=dob, gender=gender, province_codes=CODES)
    assert bool(problems) is flagged
    assert all(value not in p for p in problems)


def test_encoded_year_in_the_future_without_a_date_of_birth() -> None:
    def check(value: str) -> list[str]:
        return check_personal_id(
            value, date_of_birth=None, gender=None, province_codes=CODES, today=TODAY
        )

    assert check("024245001234")  # born 2045
    assert check("024225001234") == []


def test_unknown_gender_value_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check_personal_id("024070001234", date_of_birth=None, gender="Nam", province_codes=CODES)


def test_province_codes_come_from_the_caller() -> None:
    assert check_personal_id(
        "024070001234", date_of_birth=None, gender=None, province_codes=frozenset({"001"})
    )


# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "value", ["2023-03-15", "1900-01-01", "2025-11-01", "2024-02-29", dt.date(2000, 1, 1)]
)
def test_valid_dates(value: str | dt.date) -> None:
    assert check_date(value, today=TODAY) == []


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2025-11-02", "after today"),
        ("2099-01-01", "after today"),
        (dt.date(2030, 1, 1), "after today"),
        ("1899-12-31", "before 1900-01-01"),
        ("0223-03-15", "before"),
        ("2023-02-30", "no such date"),
        ("2023-13-01", "no such date"),
        ("2023-02-29", "no such date"),
        ("2023-3-5", "YYYY-MM-DD"),
        ("15/03/2023", "YYYY-MM-DD"),
        ("20230315", "YYYY-MM-DD"),
        ("2023-03-15T00:00", "YYYY-MM-DD"),
        ("2023-03-15\n", "YYYY-MM-DD"),
        ("", "YYYY-MM-DD"),
    ],
)
def test_invalid_dates(value: str | dt.date, reason: str) -> None:
    problems = check_date(value, today=TODAY)
    assert len(problems) == 1 and reason in problems[0]


def test_earliest_is_configurable() -> None:
    assert check_date("1950-01-01", today=TODAY, earliest=dt.date(1960, 1, 1))
    assert check_date("1850-01-01", today=TODAY, earliest=dt.date(1800, 1, 1)) == []


# ----------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        ("3", 1, 100),
        ("1", 1, 100),
        ("100", 1, 100),
        ("1171.9", 1, 10_000_000),
        ("150000000", 1000, 1e12),
        ("0.5", 0, 1),
        ("-5", -10, 0),
        ("3", float("-inf"), float("inf")),
        (3, 1, 100),
        (75.5, 1, 100),
    ],
)
def test_in_range(value: str | float, low: float, high: float) -> None:
    assert check_range(value, low, high) == []


@pytest.mark.parametrize(
    ("value", "low", "high", "reason"),
    [
        ("0", 1, 100, "between"),
        ("101", 1, 100, "between"),
        ("100.01", 1, 100, "between"),
        ("0.99", 1, 100, "between"),
        ("1000000000001", 1000, 1e12, "between"),
        ("abc", 1, 100, "not a number"),
        ("", 1, 100, "not a number"),
        ("1,5", 1, 100, "not a number"),
        ("1.171,9", 1, 10_000, "not a number"),
        ("nan", 1, 100, "not a number"),
        ("inf", 1, 100, "not a number"),
        ("1e3", 1, 10_000, "not a number"),
        (float("nan"), 1, 100, "not a number"),
        (float("inf"), 1, 100, "not a number"),
        (True, 0, 2, "not a number"),
    ],
)
def test_out_of_range(value: str | float, low: float, high: float, reason: str) -> None:
    problems = check_range(value, low, high)
    assert len(problems) == 1 and reason in problems[0]


def test_empty_range_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check_range("5", 10, 1)


# ----------------------------------------------------------------------------- patterns


@pytest.mark.parametrize(
    ("value", "pattern", "ok"),
    [
        ("CS 123456", r"^[A-ZĐ]{2} \d{6}$", True),
        ("BĐ 004512", r"^[A-ZĐ]{2} \d{6}$", True),
        ("CS123456", r"^[A-ZĐ]{2} \d{6}$", False),
        ("CS 1234567", r"^[A-ZĐ]{2} \d{6}$", False),
        ("CS 123456\n", r"^[A-ZĐ]{2} \d{6}$", False),  # "$" alone would allow this
        ("125/2023", r"\d{1,6}(/\d{4})?", True),
        ("x125/2023", r"\d{1,6}(/\d{4})?", False),  # the whole value, not a part
        ("125/2023x", r"\d{1,6}(/\d{4})?", False),
        (
            "000.12.24.H07-230315-0001",
            r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z0-9]{2,4}-\d{6}-\d{4}$",
            True,
        ),
        (
            "000.12.24.H07-23031-0001",
            r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z0-9]{2,4}-\d{6}-\d{4}$",
            False,
        ),
        ("024070001234", re.compile(r"^\d{12}$"), True),
        ("123456789", re.compile(r"^\d{12}$"), False),
    ],
)
def test_check_pattern(value: str, pattern: str | re.Pattern[str], ok: bool) -> None:
    problems = check_pattern(value, pattern)
    assert (problems == []) is ok
    assert all(value.strip() not in p for p in problems)


# ----------------------------------------------------------------------------- sample generator

# Which date of birth and gender each document type prints for the holder of an ID field.
_SAME_PERSON: dict[str, dict[str, tuple[str | None, str | None]]] = {
    "birth_certificate": {"personal_id": ("date_of_birth", "@gender")},
    "marriage_certificate": {
        "husband_id": ("husband_date_of_birth", "male"),
        "wife_id": ("wife_date_of_birth", "female"),
    },
    "death_certificate": {"personal_id": ("date_of_birth", None)},
    "application_form": {"applicant_id": ("applicant_date_of_birth", None)},
    "land_use_certificate": {"holder_id": (None, None)},
    "business_household_registration": {"owner_id": (None, None)},
    "dossier_receipt": {"applicant_id": (None, None)},
}


def _truths() -> list[tuple[str, dict[str, object]]]:
    return [
        (p.name, json.loads(p.read_text(encoding="utf-8")))
        for p in sorted(SCANS.glob("*.truth.json"))
    ]


def test_generator_province_codes_are_real() -> None:
    from samples import data

    used = set(data.ID_PROVINCE_CODES) | {"0" + p.code for p in data.PROVINCES}
    assert used <= CODES, sorted(used - CODES)


@pytest.mark.skipif(not SCANS.is_dir(), reason="no committed sample scans")
def test_sample_ids_agree_with_their_holders() -> None:
    checked = 0
    for name, truth in _truths():
        fields = truth["fields"]
        assert isinstance(fields, dict)
        for id_field, (dob_field, gender_ref) in _SAME_PERSON.get(
            str(truth["doc_type"]), {}
        ).items():
            if id_field not in fields:
                continue
            dob = dt.date.fromisoformat(fields[dob_field]) if dob_field else None
            gender = fields[gender_ref[1:]] if gender_ref and gender_ref[0] == "@" else gender_ref
            value = NORMALIZERS["personal_id"](fields[id_field])
            problems = check_personal_id(
                value, date_of_birth=dob, gender=gender, province_codes=CODES, today=TODAY
            )
            assert problems == [], (name, id_field, problems)
            checked += 1
    assert checked > 0
