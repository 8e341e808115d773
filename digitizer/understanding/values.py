"""Cut a field's value out of the text that follows its label, by the field's type.

A label is often followed by more than its value: "Ông: NGUYỄN VĂN AN, sinh năm 1970, CCCD
số: …", "Thửa đất số: 671; tờ bản đồ số: 10;", "Diện tích: 2.041 m² (bằng chữ: …)". Each
type knows where its value stops. A schema may override with its own ``capture`` regex.
"""

from __future__ import annotations

import re

from digitizer.understanding.layout import fold_text
from digitizer.understanding.schema import FieldSpec

_HONORIFICS = ("ong/ba", "ba/ong", "ong", "ba", "anh", "chi", "ho ong", "ho ba")
# A day or month digit as OCR may read it ("I2", "2]", "l1", "!2"): mapped back by _digits.
_D = r"[0-9il|\]so!]"
# between the words and numbers of a date, OCR leaves specks: "ngày.16", "ngày-1Š"
_SPECKS = r"[\s.,:'`‘’\-]*"
_DATE = re.compile(
    # a space OCR puts between two digits of a day or month ("8-1 1-1999") is dropped
    r"(\d ?\d?)\s*[/.\-]\s*(\d ?\d?)\s*[/.\-]\s*(\d{4})"
    # "ngày 2 tháng 3 năm 2019", tolerant of OCR noise in the words ("tháúng", "nắm")
    rf"|ng[^\W\d]{{1,3}}{_SPECKS}({_D}{{1,2}}){_SPECKS}th\w{{2,4}}{_SPECKS}({_D}{{1,2}})"
    rf"{_SPECKS}n\w{{1,2}}m\s*(\d{{4}})"
)
_LOOKALIKE_DIGITS = str.maketrans(
    {"i": "1", "l": "1", "|": "1", "]": "1", "!": "1", "s": "5", "o": "0"}
)
_ID = re.compile(r"[0-9oilsb|][0-9oilsb| .]{7,16}[0-9oilsb|]")  # folded: lower case
_NUMBER = re.compile(r"\d+")
# "l", "I", "|", "O", "o" between two digits, or ending a run of digits: OCR's digits
_LONE_ONE = re.compile(r"(?:^|(?<=[:\s]))[lI|](?=$|[\s,;.])")
_DIGIT_INSIDE = re.compile(r"(?<=\d)[lI|Oo](?=\d)|(?<=\d)[lI|](?=$|[\s,;.)])")
_AREA = re.compile(r"\d[\d.,]*\s*(?:m2|m²|m\b)?")
_MONEY = re.compile(r"\d[\d.,]*\s*(?:ty|trieu|nghin|ngan)?\s*(?:dong|vnd|d\b)?")
_PHONE = re.compile(r"(?:\+?84|0)[\d .]{7,14}\d")
_GENDER = re.compile(r"\b(nam|nu)\b")
_TEXT_STOP = re.compile(r"[;(]|\s-\s")


def _span(raw: str, pattern: re.Pattern[str]) -> str | None:
    """Match on the folded text (same length), return the original characters."""
    m = pattern.search(fold_text(raw))
    return raw[m.start() : m.end()].strip() if m else None


def _name(raw: str) -> str | None:
    words = raw.replace(":", " ").split()
    folded = [fold_text(w).strip(",.;") for w in words]
    i = 0
    while i < len(words) and (folded[i] in _HONORIFICS or folded[i] in ("", "-")):
        i += 1
    taken: list[str] = []
    for word in words[i:]:
        clean = word.strip(",.;")
        letters = [c for c in clean if c.isalpha()]
        if not letters or not all(c.isupper() for c in letters):
            break
        taken.append(clean)
        if word.endswith((",", ";", ".")):
            break
    return " ".join(taken) if taken else None


def cut(spec: FieldSpec, raw: str) -> str | None:
    """The part of ``raw`` that is the value, or None when there is none."""
    raw = raw.strip()
    if not raw:
        return None
    if spec.type == "code":
        raw = _DIGIT_INSIDE.sub(lambda m: "0" if m.group(0) in "Oo" else "1", raw)
    if spec.capture is not None:
        m = spec.capture.search(raw) or spec.capture.search(fold_text(raw))
        if not m and spec.type == "code":  # "tờ bản đồ số: I": a lone letter for a digit
            raw = _LONE_ONE.sub("1", raw)
            m = spec.capture.search(raw)
        if not m:
            return None
        group = m.group(1) if m.groups() else m.group(0)
        start = m.start(1) if m.groups() else m.start(0)
        return raw[start : start + len(group)].strip()
    kind = spec.type
    if kind == "name":
        return _name(raw)
    if kind == "date":
        m = _DATE.search(fold_text(raw))
        if not m:
            return None
        day, month, year = (
            g.translate(_LOOKALIKE_DIGITS).replace(" ", "") for g in m.groups() if g is not None
        )
        return f"{day}/{month}/{year}"  # rebuilt: the words around the numbers are noise
    if kind == "personal_id":
        for m in _ID.finditer(fold_text(raw)):
            if sum(c.isdigit() for c in m.group(0)) >= 8:  # letters only stand in for a few
                return raw[m.start() : m.end()].strip()
        return None
    if kind == "number":
        return _span(raw, _NUMBER)
    if kind == "area":
        return _span(raw, _AREA)
    if kind == "money":
        return _span(raw, _MONEY)
    if kind == "phone":
        return _span(raw, _PHONE)
    if kind == "gender":
        return _span(raw, _GENDER)
    if kind == "code":
        token = raw.split()[0].strip(",;.")
        return token or None
    text = _TEXT_STOP.split(raw, maxsplit=1)[0].strip(" ,.;:")
    return text or None


# Words that name an administrative unit or a street part, by their unaccented form. In an
# address they come before a capitalised name or a number, and OCR often gets their tone
# wrong ("tính Bắc Ninh"); "tinh" before "Bắc Ninh" can only be "tỉnh".
_ADDRESS_WORDS = {
    "tinh": "tỉnh",
    "huyen": "huyện",
    "xa": "xã",
    "phuong": "phường",
    "quan": "quận",
    "thon": "thôn",
    "xom": "xóm",
    "ap": "ấp",
    "duong": "đường",
    "ngo": "ngõ",
    "ngach": "ngách",
    "hem": "hẻm",
    "pho": "phố",
    "thi": "thị",
    "tran": "trấn",
    "khu": "khu",
    "to": "tổ",
    "thanh": "thành",
}
_PAIRS = {
    ("thi", "tran"): ("thị", "trấn"),
    ("thanh", "pho"): ("thành", "phố"),
    ("khu", "pho"): ("khu", "phố"),
}
# three-word unit names, at the start of an address part ("Tố dân phố Bắc Sơn")
_TRIPLES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("to", "dan", "pho"): ("tổ", "dân", "phố"),
    ("khu", "dan", "cu"): ("khu", "dân", "cư"),
}

# Unit words that always have a name after them: an address that ends with one was cut
# short (the name went to the next line, or was not read).
_NEEDS_A_NAME = ("tinh", "thanh pho", "huyen", "quan", "thi xa", "thi tran", "phuong", "xa")


def ends_unnamed(address: str) -> bool:
    """ "…, quận Đống Đa, thành phố" ends with a unit word and no name: cut short."""
    last = fold_text(address).rstrip(" ,.;:").rsplit(",", 1)[-1].strip()
    return last in _NEEDS_A_NAME


def fix_address_words(address: str) -> str:
    """Spell the unit words of an address as they are always spelled."""
    words = address.split(" ")
    folded = [fold_text(w).strip(",.;") for w in words]
    out = list(words)
    for i, key in enumerate(folded):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        pair = _PAIRS.get((key, folded[i + 1])) if i + 1 < len(words) else None
        if pair and i + 2 < len(words) and words[i + 2][:1].isupper():
            out[i], out[i + 1] = _keep_case(words[i], pair[0]), _keep_case(words[i + 1], pair[1])
            continue
        starts_part = i == 0 or words[i - 1].endswith(",")
        triple = _TRIPLES.get(tuple(folded[i : i + 3]))
        if triple and starts_part:
            for j, spelled in enumerate(triple):
                out[i + j] = _keep_case(words[i + j], spelled)
            continue
        if (
            key in _ADDRESS_WORDS
            and key not in ("thi", "thanh", "khu", "tran")
            and (words[i][:1].islower() or starts_part)  # "Lạng Giang" is a name
            and (nxt[:1].isupper() or nxt[:1].isdigit())
        ):
            out[i] = _keep_case(words[i], _ADDRESS_WORDS[key])
    return " ".join(out)


def fix_spellings(value: str, spellings: tuple[str, ...]) -> str:
    """Phrases a schema says are always spelled so, wherever a reading has their letters
    with other accents: "HỒ KINH DOANH QUYÊN" -> "HỘ KINH DOANH QUYÊN"."""
    for phrase in spellings:
        target = fold_text(phrase).split()
        words = value.split(" ")
        folded = [fold_text(w) for w in words]
        for i in range(len(words) - len(target) + 1):
            if folded[i : i + len(target)] == target:
                window = " ".join(words[i : i + len(target)])
                spelled = phrase.upper() if window.isupper() else phrase
                words[i : i + len(target)] = spelled.split()
        value = " ".join(words)
    return value


def _keep_case(original: str, spelled: str) -> str:
    tail = original[len(original.rstrip(",.;")) :]
    body = spelled.capitalize() if original[:1].isupper() else spelled
    return body + tail


_BETWEEN_CHOICES = re.compile(r"[\s,;.+]|\bva\b")


def is_choices(value: str, choices: tuple[str, ...]) -> bool:
    """``value`` is one or more of ``choices`` (accents ignored), joined by ";", ",", "+",
    "và" and nothing else: "Đất ở tại nông thôn; Đất trồng cây lâu năm"."""
    rest = f" {fold_text(value)} "
    for choice in sorted(choices, key=len, reverse=True):
        rest = re.sub(rf"(?<=[\s,;.+]){re.escape(fold_text(choice))}(?=[\s,;.+])", " ; ", rest)
    return "; " in rest and not _BETWEEN_CHOICES.sub("", rest)
