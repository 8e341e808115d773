"""Vietnamese printing conventions: dates, numbers, amounts in words, personal IDs.

Documents print values in several ways ("15/03/2023", "5-03-2023", "ngày 15 tháng 3 năm
2023", "1.171,9 m²"); the ground truth keeps the canonical form (ISO date, float, int). These
helpers go from canonical to printed, so both sides of the truth come from one value.
"""

from __future__ import annotations

import datetime as dt
import random

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUPS = ("", "nghìn", "triệu", "tỷ")

DATE_STYLES = ("slash", "slash_short", "dash_short", "words", "words_pad")


def format_date(d: dt.date, style: str) -> str:
    """Print ``d`` in one of :data:`DATE_STYLES`.

    ``words`` gives "ngày 5 tháng 3 năm 2023" (no leading "Ngày": callers decide the case),
    ``dash_short`` is the "d-mm-yyyy" form of DOMAIN.md.
    """
    if style == "slash":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if style == "slash_short":
        return f"{d.day}/{d.month}/{d.year}"
    if style == "dash_short":
        return f"{d.day}-{d.month:02d}-{d.year}"
    if style == "words":
        return f"ngày {d.day} tháng {d.month} năm {d.year}"
    if style == "words_pad":
        return f"ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"
    raise ValueError(style)


def numeric_date(d: dt.date, rng: random.Random) -> str:
    """A date as a label value: mostly dd/mm/yyyy, sometimes the other numeric forms."""
    return format_date(d, rng.choice(("slash", "slash", "slash", "slash_short", "dash_short")))


def group_thousands(n: int) -> str:
    """150000000 -> "150.000.000" (dot as thousands separator)."""
    return f"{n:,}".replace(",", ".")


def format_area(tenths: int, force_decimal: bool = False) -> str:
    """Area given in tenths of m² -> "1.171,9" (decimal comma, dot thousands)."""
    whole, frac = divmod(tenths, 10)
    if frac == 0 and not force_decimal:
        return group_thousands(whole)
    return f"{group_thousands(whole)},{frac}"


def _three(n: int, full: bool) -> list[str]:
    """Words for 0..999; ``full`` reads leading zero hundreds ("không trăm linh năm")."""
    h, t, u = n // 100, (n // 10) % 10, n % 10
    words: list[str] = []
    if h or full:
        words += [_DIGITS[h], "trăm"]
    if t == 0:
        if u and words:
            words += ["linh", _DIGITS[u]]
        elif u:
            words.append(_DIGITS[u])
    elif t == 1:
        words.append("mười")
        if u:
            words.append("lăm" if u == 5 else _DIGITS[u])
    else:
        words += [_DIGITS[t], "mươi"]
        if u:
            words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(u, _DIGITS[u]))
    return words


def number_words(n: int) -> str:
    """Read a non-negative integer in Vietnamese.

    2023 -> "hai nghìn không trăm hai mươi ba", 150000000 -> "một trăm năm mươi triệu".
    """
    if n == 0:
        return "không"
    groups: list[int] = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    words: list[str] = []
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            continue
        words += _three(g, full=i != len(groups) - 1)
        if _GROUPS[i]:
            words.append(_GROUPS[i])
    return " ".join(words)


def capitalize(s: str) -> str:
    """Upper-case only the first letter (str.capitalize would lower the rest)."""
    return s[:1].upper() + s[1:]


def date_words(d: dt.date) -> str:
    """A birth date in words, as civil status forms print it under the figures."""
    return (
        f"Ngày {number_words(d.day)}, tháng {number_words(d.month) if d.month != 4 else 'tư'}"
        f", năm {number_words(d.year)}"
    )


def area_words(tenths: int) -> str:
    """Area in words: "Một nghìn một trăm bảy mươi mốt phẩy chín mét vuông"."""
    whole, frac = divmod(tenths, 10)
    text = number_words(whole)
    if frac:
        text += f" phẩy {number_words(frac)}"
    return capitalize(text) + " mét vuông"


def personal_id(province3: str, birth: dt.date, male: bool, rng: random.Random) -> str:
    """A 12-digit số định danh cá nhân consistent with DOMAIN.md's structure.

    Digit 4 encodes century and gender (0/1 for 1900s male/female, 2/3 for 2000s), digits 5-6
    the birth year.
    """
    century = 0 if birth.year < 2000 else 2
    gender_digit = century + (0 if male else 1)
    return f"{province3}{gender_digit}{birth.year % 100:02d}{rng.randrange(1_000_000):06d}"


def old_cmnd(rng: random.Random) -> str:
    """A 9-digit CMND number of the kind archival records carry."""
    return f"{rng.choice(('12', '18', '01', '02', '17', '14'))}{rng.randrange(10_000_000):07d}"


def format_id(pid: str, rng: random.Random) -> str:
    """IDs are printed plainly; a few forms space them in groups of three."""
    if len(pid) == 12 and rng.random() < 0.1:
        return " ".join(pid[i : i + 3] for i in range(0, 12, 3))
    return pid


def format_phone(digits: str, rng: random.Random) -> str:
    """Print a 10-digit mobile number as "0912 345 678", "0912.345.678" or plainly."""
    style = rng.randrange(3)
    if style == 0:
        return digits
    sep = " " if style == 1 else "."
    return f"{digits[:4]}{sep}{digits[4:7]}{sep}{digits[7:]}"
