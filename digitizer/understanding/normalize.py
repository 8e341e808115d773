"""One normalizer per field type: a raw OCR value in, the stored form of DOMAIN.md out.

Each normalizer is ``(raw: str) -> str`` and raises :class:`NormalizeError` with a one-line
reason when the text cannot be read as its type. They read what is plainly there and refuse
what is ambiguous ("1,500 m²": 1.5 or 1500?), because a refused value goes to a clerk while
a wrong value marked good goes unseen. Reasons never quote the value: it may be personal data.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType

from digitizer.understanding.vntext import collapse_spaces, fold, nfc, normalize_tones

__all__ = [
    "NORMALIZERS",
    "NormalizeError",
    "normalize_area",
    "normalize_code",
    "normalize_date",
    "normalize_gender",
    "normalize_money",
    "normalize_name",
    "normalize_number",
    "normalize_personal_id",
    "normalize_phone",
    "normalize_text",
]


class NormalizeError(ValueError):
    """The raw text is not a value of the type; ``str(exc)`` says why in one line."""


# Punctuation that OCR leaves around a value (table rules, label colons, sentence ends).
_EDGE_PUNCT = " \t\n,.;:!?\"'“”‘’«»()[]{}<>*_-–—…•·"
_DIGITS = frozenset("0123456789")


def _prepare(raw: str) -> str:
    """NFC, single spaces, stripped; an empty value is refused for every type."""
    text = collapse_spaces(nfc(raw))
    if not text:
        raise NormalizeError("the value is empty")
    return text


def _strip_edges(text: str, keep: str = "") -> str:
    chars = "".join(c for c in _EDGE_PUNCT if c not in keep)
    stripped = text.strip(chars)
    if not stripped:
        raise NormalizeError("the value has no letters or digits")
    return stripped


# ----------------------------------------------------------------------------- names

_VOWELS = "aăâeêioôơuưy"
_TONE_MARKS = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
# Letters a Vietnamese name may hold: ASCII letters (minority names use f, j, w, z), đ, and
# every vowel with every tone. Anything else (ä, ñ, Cyrillic) is an OCR misreading.
_NAME_LETTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzđABCDEFGHIJKLMNOPQRSTUVWXYZĐ"
    + "".join(nfc(v + t) for v in _VOWELS + _VOWELS.upper() for t in _TONE_MARKS)
)
_NAME_JOINERS = frozenset("'’-")  # "H'Hen Niê", "Ksor H'Ban"
# Honorifics as printed, or with the marks OCR lost; "Bá", "Ánh" are names and stay.
_HONORIFICS = frozenset(("ông", "bà", "anh", "chị", "ong", "ba", "chi"))
# Label words left in front of a name ("Họ và tên", "Họ, chữ đệm, tên"), folded.
_NAME_LABELS: tuple[tuple[str, ...], ...] = (
    ("ho", "chu", "dem", "va", "ten"),
    ("ho", "chu", "dem", "ten"),
    ("ho", "va", "ten"),
    ("ho", "ten"),
)
_MAX_NAME_WORDS = 8


def _is_honorific(word: str) -> bool:
    """True for "Ông", "bà", "Ông/Bà", "Ông(Bà)", and "Ong," (OCR lost the marks)."""
    parts = re.split(r"[/()]", nfc(word).casefold().strip(",.;:"))
    parts = [p for p in parts if p]
    return bool(parts) and all(p in _HONORIFICS for p in parts)


def _drop_leading_label(words: list[str]) -> list[str]:
    folded = [fold(w).strip(",.;:") for w in words]
    for label in _NAME_LABELS:
        if tuple(folded[: len(label)]) == label:
            return words[len(label) :]
    return words


def normalize_name(raw: str) -> str:
    """A full name: "Ông: Nguyễn Văn An," -> "NGUYỄN VĂN AN" (upper case, NFC, "hòa" tones).

    Drops label leftovers ("Họ và tên:") and honorifics (Ông, Bà, Anh, Chị, Ông/Bà) in front;
    refuses digits, punctuation inside the name, letters no Vietnamese name has, and a
    single word or a whole line (what a bad cut produces).
    """
    text = normalize_tones(_prepare(raw))
    text = re.sub(r"\s*/\s*", "/", text)
    text = re.sub(r"\s*\(\s*", "(", re.sub(r"\s*\)", ")", text))
    if ":" in text:
        before, _, text = text.rpartition(":")
        words_before = re.sub(r"[,:]", " ", fold(before)).split()
        honorifics = [w for w in words_before if w != "ho"]  # "Hộ ông:" (household of)
        if not ("ten" in words_before or all(_is_honorific(w) for w in honorifics)):
            raise NormalizeError("a name has text before a ':' that is not a label")
    words = _drop_leading_label(text.split())
    if len(words) > 2 and words[0].casefold() == "hộ" and _is_honorific(words[1]):
        words = words[1:]
    while len(words) > 1 and _is_honorific(words[0]):
        words = words[1:]
    text = _strip_edges(" ".join(words))
    if any(c in _DIGITS or unicodedata.category(c) == "Nd" for c in text):
        raise NormalizeError("a name has no digits")
    for ch in text:
        if ch != " " and ch not in _NAME_LETTERS and ch not in _NAME_JOINERS:
            raise NormalizeError("a name has a character that no Vietnamese name has")
    words = text.split()
    if any(not any(c.isalpha() for c in w) for w in words):
        raise NormalizeError("a name has stray punctuation between its words")
    capitalised = [w[0].isupper() for w in words]
    if any(capitalised) and not all(capitalised):
        raise NormalizeError("a name mixes capitalised and lower-case words (part of a sentence)")
    if any(w.casefold() == "và" for w in words):
        raise NormalizeError("two names joined by 'và'")
    if len(words) < 2 or all(len(w) < 2 for w in words):
        raise NormalizeError("a full name has at least two words")
    if len(words) > _MAX_NAME_WORDS:
        raise NormalizeError(f"a full name has at most {_MAX_NAME_WORDS} words")
    return nfc(text.upper())


# ----------------------------------------------------------------------------- dates

_NUMERIC_DATE = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>[12]\d{3})(?!\d)"
)
_WORDS_DATE = re.compile(
    r"\bngay\s*(?P<d>\d{1,2})\s*[,.]?\s*thang\s*(?P<m>\d{1,2})\s*[,.]?\s*nam\s*(?P<y>[12]\d{3})"
    r"(?!\d)"
)
_ISO_DATE = re.compile(r"(?<!\d)(?P<y>[12]\d{3})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)")


def normalize_date(raw: str) -> str:
    """ISO date from "15/03/2023", "5-03-2023", "15.03.2023", "ngày 15 tháng 3 năm 2023".

    Also reads the undiacritized "ngay 15 thang 03 nam 2023" and "ngày 05/3/2023". Refuses
    two-digit years, a second date or other digits next to the date, and dates that do not
    exist (31/02, month 13).
    """
    text = fold(_prepare(raw))
    found = [m for p in (_WORDS_DATE, _NUMERIC_DATE, _ISO_DATE) for m in p.finditer(text)]
    if not found:
        raise NormalizeError("no date of the form dd/mm/yyyy or 'ngày d tháng m năm yyyy'")
    if len(found) > 1:
        raise NormalizeError("more than one date in the value")
    match = found[0]
    outside = text[: match.start()] + text[match.end() :]
    if any(c.isdigit() for c in outside):
        raise NormalizeError("digits other than the date's in the value")
    day, month, year = int(match["d"]), int(match["m"]), int(match["y"])
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise NormalizeError(f"no such date: day {day} of month {month}") from None


# ----------------------------------------------------------------------------- personal IDs

# Letters OCR reads for digits in a number field. Only these, and only a few per ID.
_ID_CONFUSIONS = {"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"}
_MAX_ID_CONFUSIONS = 2


def normalize_personal_id(raw: str) -> str:
    """The digits of a personal ID: "024 070 001 234" -> "024070001234"; an old CMND: 9.

    Spaces and dots inside are dropped; O/o→0, l/I/|→1, S→5, B→8 are read as digits when
    everything else is a digit (at most two of them). The structure is checked by
    :func:`digitizer.understanding.validate.check_personal_id`, not here.
    """
    text = _strip_edges(_prepare(raw), keep="|")
    compact = re.sub(r"[\s.]", "", text)
    others = [c for c in compact if c not in _DIGITS and c not in _ID_CONFUSIONS]
    if others:
        raise NormalizeError("a personal ID has only digits")
    if sum(c in _ID_CONFUSIONS for c in compact) > _MAX_ID_CONFUSIONS:
        raise NormalizeError("too many letters in a personal ID to read them as digits")
    digits = "".join(_ID_CONFUSIONS.get(c, c) for c in compact)
    if len(digits) == 9 and re.fullmatch(r"\S{3}([\s.]+)\S{3}\1\S{3}", text):
        # 12-digit IDs are printed "027 198 486 155"; a line break after the third group
        # leaves what would pass for a 9-digit CMND. CMND numbers are printed plainly.
        raise NormalizeError("three groups of three digits: a 12-digit ID cut short?")
    if len(digits) not in (9, 12):
        raise NormalizeError(
            f"a personal ID has 12 digits (9 for an old CMND), this one {len(digits)}"
        )
    return digits


# ----------------------------------------------------------------------------- numbers

_INTEGER = re.compile(r"\d+|\d{1,3}(?:\.\d{3})+")


def normalize_number(raw: str) -> str:
    """A whole number as digits without leading zeros: "03" -> "3", "1.200" -> "1200".

    Numbers printed with letters ("125a") are codes, not numbers: use the ``code`` type.
    """
    text = _strip_edges(_prepare(raw), keep="-–")  # a minus sign is not punctuation here
    if not _INTEGER.fullmatch(text):
        raise NormalizeError("not a whole number")
    return str(int(text.replace(".", "")))


def _decimal(number: str) -> Decimal:
    """Read a Vietnamese-printed number: dot for thousands, comma for decimals.

    "1.171,9" and "1171,9" are 1171.9; "75.5" (a dot before one or two digits, as computers
    print) is 75.5; "1.171" is 1171. A comma before exactly three digits ("1,171",
    "1.171,900") could be a misread thousands dot, and is refused.
    """
    if re.fullmatch(r"[\d.]+,\d{3}", number):
        raise NormalizeError("ambiguous number: a comma before three digits")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", number):
        return Decimal(number.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d+(?:,\d+)?", number):
        return Decimal(number.replace(",", "."))
    if re.fullmatch(r"\d+\.\d{1,2}", number):
        return Decimal(number)
    raise NormalizeError("not a number with dot thousands and a decimal comma")


def _plain(value: Decimal) -> str:
    """Decimal -> "1171.9", "120" (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f")


_AREA = re.compile(
    r"(?P<num>\d(?:[\d.,]*\d)?)\s*(?:m\s*(?:²|2|\^2|\?|')?|met\s*vuong)?", re.IGNORECASE
)


def normalize_area(raw: str) -> str:
    """An area in m²: "1.171,9 m²" -> "1171.9", "75,5 m2" -> "75.5", "120 m²" -> "120".

    The unit may be m², m2, m (OCR drops the ²), m? (OCR noise) or "mét vuông"; another
    unit (ha, sào) or any other text is refused.
    """
    text = fold(_strip_edges(_prepare(raw), keep="²?'-–"))
    match = _AREA.fullmatch(text)
    if not match:
        raise NormalizeError("not an area in m² (a number, then m² or nothing)")
    return _plain(_decimal(match["num"]))


_SCALES = {"ty": 10**9, "ti": 10**9, "trieu": 10**6, "nghin": 10**3, "ngan": 10**3}
_MONEY_TERM = re.compile(r"(?P<num>\d[\d.,]*\d|\d)\s*(?P<scale>ty|ti|trieu|nghin|ngan)?\b\s*")
_CURRENCY = re.compile(r"\s*(?:\(\s*)?(?:viet\s*nam\s*dong|dong|vnd|d)(?:\s*\))?\s*$")


def normalize_money(raw: str) -> str:
    """An amount in whole đồng: "150.000.000 đồng" -> "150000000", "1,5 tỷ đồng" ->
    "1500000000", "2 tỷ 500 triệu" -> "2500000000"; "VNĐ", "đ" or no currency.

    Refused: fractions of a đồng, scales out of order, a bare number after a scale
    ("1 tỷ 200": 200 what?), any other text.
    """
    text = _CURRENCY.sub("", fold(_strip_edges(_prepare(raw), keep="-–")))
    text = text.strip(" .,;")
    if not text:
        raise NormalizeError("no amount in the value")
    total = Decimal(0)
    pos = 0
    last_scale = 10**12
    plain_seen = False
    while pos < len(text):
        match = _MONEY_TERM.match(text, pos)
        if not match or plain_seen:
            raise NormalizeError("not an amount of money (digits, then tỷ/triệu/nghìn, đồng)")
        pos = match.end()
        if match["scale"] is None:
            plain_seen = True
            if total:
                raise NormalizeError("a number without a unit after tỷ/triệu/nghìn")
            amount = _money_integer(match["num"])
        else:
            scale = _SCALES[match["scale"]]
            if scale >= last_scale:
                raise NormalizeError("tỷ, triệu and nghìn out of order")
            last_scale = scale
            amount = _decimal(match["num"]) * scale
        total += amount
    if total != total.to_integral_value():
        raise NormalizeError("an amount in fractions of a đồng")
    return str(int(total))


def _money_integer(number: str) -> Decimal:
    """An unscaled amount: "150.000.000", "150000000", "150.000.000,00" (not ",000": a
    misread thousands dot)."""
    match = re.fullmatch(r"(\d{1,3}(?:\.\d{3})+|\d+)(?:,0{1,2})?", number)
    if not match:
        raise NormalizeError("not a whole amount with dots for thousands")
    return Decimal(match[1].replace(".", ""))


# ----------------------------------------------------------------------------- phones

_PHONE = re.compile(r"0[1-9]\d{8,9}")


def normalize_phone(raw: str) -> str:
    """Digits of a Vietnamese number: "+84 912 345 678" -> "0912345678".

    10 digits (mobile, old big-city landline) or 11 (landline with area code, pre-2018
    mobile), starting with 0 once the country code (+84, 0084, 84) is replaced by 0.
    """
    text = _strip_edges(_prepare(raw), keep="+(")
    if re.search(r"[^\d\s.\-()+]", text):
        raise NormalizeError("a phone number has only digits, spaces, dots and dashes")
    text = re.sub(r"^(\(?\+?84\)?)\s*\(\s*0\s*\)", r"\1", text)  # "+84 (0) 912 345 678"
    plus = text.lstrip("(").startswith("+")
    digits = re.sub(r"\D", "", text)
    if plus and not digits.startswith("84"):
        raise NormalizeError("not a Vietnamese phone number (country code is not +84)")
    if digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and (plus or len(digits) in (11, 12)):
        digits = "0" + digits[2:]
    if not _PHONE.fullmatch(digits):
        raise NormalizeError(
            f"a phone number has 10 or 11 digits starting with 0, this one {len(digits)}"
        )
    return digits


# ----------------------------------------------------------------------------- codes

_CODE_CHARS = re.compile(r"[^\W_]|[ /.\-_]")
_MAX_CODE_WORDS = 3


def normalize_code(raw: str) -> str:
    """A code as printed: NFC, single spaces, no punctuation around it, no spaces around
    its separators ("125 / GPXD" -> "125/GPXD"). "CS 123456" keeps its space; case is kept.
    """
    text = _strip_edges(_prepare(raw))
    text = re.sub(r"\s*([/.\-])\s*", r"\1", text)
    bad = [c for c in text if not _CODE_CHARS.fullmatch(c)]
    if bad:
        raise NormalizeError("a code has only letters, digits, spaces and / . - _")
    if len(text.split()) > _MAX_CODE_WORDS:
        raise NormalizeError(f"a code has at most {_MAX_CODE_WORDS} space-separated parts")
    return text


# ----------------------------------------------------------------------------- gender, text


def normalize_gender(raw: str) -> str:
    """Gender as stored: "Nam" -> "male", "Nữ" (also "Nu", "NỮ") -> "female".

    Tone marks are forgiven, vowel shapes are not: "Năm" (year) folds to the letters of
    "Nam" and is refused.
    """
    text = _strip_edges(_prepare(raw))
    if fold(text) in ("male", "female"):
        return fold(text)
    shapes = _drop_tones(text).casefold()
    if shapes == "nam":
        return "male"
    if shapes in ("nư", "nu"):
        return "female"
    raise NormalizeError("a gender is 'Nam' or 'Nữ'")


def _drop_tones(text: str) -> str:
    """Tone marks dropped, ă/â/ê/ô/ơ/ư kept ("Nữ" -> "Nư")."""
    decomposed = unicodedata.normalize("NFD", text)
    return nfc("".join(c for c in decomposed if c not in _TONE_MARKS))


def normalize_text(raw: str) -> str:
    """Free text (addresses, purposes, procedure names): NFC, single spaces, stripped."""
    return _prepare(raw)


NORMALIZERS: Mapping[str, Callable[[str], str]] = MappingProxyType(
    {
        "name": normalize_name,
        "date": normalize_date,
        "personal_id": normalize_personal_id,
        "number": normalize_number,
        "area": normalize_area,
        "money": normalize_money,
        "phone": normalize_phone,
        "code": normalize_code,
        "gender": normalize_gender,
        "text": normalize_text,
    }
)
