"""Place names spelled as the state spells them, for bodies and places read in capitals.

Tesseract drops and swaps the stacked accents of capitals with high confidence ("TỈNH
QUANG NGAI" for "TỈNH QUẢNG NGÃI"), and an issuing body's name is what an office searches
by. The names of provinces (the 63 before the 2025 merger and today's) and of today's
communes are known: a run of words that has exactly such a name's letters, after a unit
word ("TỈNH", "HUYỆN", "XÃ"…), takes that name's accents. A name shared by several
spellings is left as read.
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

from rapidfuzz import fuzz, process

from digitizer.understanding.layout import fold_text

_NEAR = 90.0
_FUZZY_MIN_LENGTH = 8  # folded characters: shorter names are too alike to guess between
_DATA = Path(__file__).resolve().parent.parent / "data"
_UNIT_PREFIX = re.compile(
    r"^(?:Tỉnh|Thành phố|Huyện|Quận|Thị xã|Xã|Phường|Thị trấn|Đặc khu)\s+", re.IGNORECASE
)
# unit words (folded) before a place name, and how they are spelled
_UNIT_WORDS = {
    "tinh": "tỉnh",
    "thanh pho": "thành phố",
    "tp": "TP",
    "huyen": "huyện",
    "quan": "quận",
    "thi xa": "thị xã",
    "xa": "xã",
    "phuong": "phường",
    "thi tran": "thị trấn",
    "dac khu": "đặc khu",
}


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as fh:
        return [r for r in csv.reader(line for line in fh if not line.startswith("#")) if r]


@functools.lru_cache(maxsize=1)
def place_names() -> dict[str, str]:
    """Folded name -> its one spelling ("quang ngai" -> "Quảng Ngãi"), names of two or
    more words only (one syllable is too often a common word)."""
    spellings: dict[str, set[str]] = {}
    names = [r[1] for r in _rows(_DATA / "units_2025.csv")[1:] if len(r) > 1]
    names += [r[1] for r in _rows(_DATA / "personal_id_provinces.csv") if len(r) > 1]
    for name in names:
        bare = _UNIT_PREFIX.sub("", name.strip())
        if len(bare.split()) >= 2 and not any(c.isdigit() for c in bare):
            spellings.setdefault(fold_text(bare).lower(), set()).add(bare)
    return {k: next(iter(v)) for k, v in spellings.items() if len(v) == 1}


@functools.lru_cache(maxsize=8)
def _by_length(words: int) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in place_names().items() if len(k.split()) == words)


def _known(folded: str, words: int) -> str | None:
    """The place name spelled ``folded`` — or, failing that, the one name a letter or two
    away from it and from no other name ("quang ngaai": a doubled vowel)."""
    exact = place_names().get(folded)
    if exact is not None or len(folded) < _FUZZY_MIN_LENGTH:
        return exact
    hits = process.extract(folded, _by_length(words), scorer=_score, limit=2)
    if not hits or hits[0][1] < _NEAR:
        return None
    if len(hits) > 1 and hits[1][1] >= hits[0][1] - 5:
        return None
    return hits[0][0][1]


def _score(a: str | tuple[str, str], b: str | tuple[str, str], **_: object) -> float:
    left = a if isinstance(a, str) else a[0]
    right = b if isinstance(b, str) else b[0]
    return fuzz.ratio(left, right)


def respell_places(text: str, *, whole: bool = False) -> str:
    """``text`` with the place names after unit words spelled as known (the case of the
    reading kept); with ``whole``, ``text`` may itself be a place name ("Quang Ngai")."""
    words = text.split(" ")
    folded = [fold_text(w).strip(",.;:") for w in words]
    starts = [0] if whole else []
    units: dict[int, tuple[int, str]] = {}  # name start -> (unit word start, its spelling)
    for i in range(len(words)):
        for span in (1, 2):
            if i - span + 1 < 0:
                continue
            unit = " ".join(folded[i - span + 1 : i + 1])
            if unit in _UNIT_WORDS:
                starts.append(i + 1)
                units[i + 1] = (i - span + 1, _UNIT_WORDS[unit])
    for start in starts:
        for length in (4, 3, 2):
            window = folded[start : start + length]
            name = _known(" ".join(window), length) if len(window) == length else None
            if name is None:
                continue
            read = words[start : start + length]
            spelled = name.upper() if all(w.isupper() for w in read) else name
            tail = read[-1][len(read[-1].rstrip(",.;:")) :]
            words[start : start + length] = (spelled + tail).split(" ")
            if start in units:  # the unit word before a known name: "TINH QUẢNG NGÃI"
                first, unit_spelling = units[start]
                printed = words[first:start]
                upper = all(w.isupper() for w in printed)
                spelled_unit = unit_spelling.upper() if upper else unit_spelling
                if printed[0][:1].isupper() and not upper:
                    spelled_unit = spelled_unit[:1].upper() + spelled_unit[1:]
                words[first:start] = spelled_unit.split(" ")
            break
    return " ".join(words)
