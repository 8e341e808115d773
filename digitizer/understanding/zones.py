"""Lines of a page as layout zones see them: where they stand, what they look like.

Zone readers (:mod:`.decree30`, :mod:`.signature`) work on OCR segments — a line's words
with no wide gap inside — and need a few more questions answered about them: is it all
capitals (a body's name, a title), a printed rule, two lines read as one value; and how to
hand a zone's text to the field readers as a :class:`Candidate` keeping its words (their
OCR confidences make the value's confidence).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from digitizer.records import OcrWord
from digitizer.understanding.extract import Candidate
from digitizer.understanding.layout import Segment, fold_text

Line = Segment

_RULE = re.compile(r"^[\s\-_–—=.~*]+$")
# a word that is no word: a rule's stub, an accent or a dot left alone ("_", ".^", "`")
_STUB = re.compile(r"^[_=~]+$")
_LEADING_JUNK = re.compile(r"^[^\w(\"“]+")
# old tone placement still printed on older documents (Decree 30 writes "ỦY")
_OLD_TONES = (("UỶ", "ỦY"), ("Uỷ", "Ủy"))


@dataclass(frozen=True, slots=True)
class Blank:
    """A printed line with blanks a hand may have filled ("Số: 87 /QĐ-UBND", "ngày 05
    tháng 02 năm 2025"): the line's box, the blanks in it ("number", "day", "month"),
    what the page's OCR read in each, and how the field's value is made of them."""

    page: int
    box: tuple[int, int, int, int]  # the line: left, top, width, height in page pixels
    printed: dict[str, str]  # blank -> the page OCR's reading of it
    template: str  # "{number}/QĐ-UBND", "{day}/{month}/2025"

    def value(self, filled: dict[str, str]) -> str:
        return self.template.format(**{**self.printed, **filled})


@dataclass(slots=True)
class Zones:
    """What the layout gave, field by field, plus the blanks to read again."""

    found: dict[str, list[Candidate]] = field(default_factory=dict)
    blanks: dict[str, Blank] = field(default_factory=dict)
    motto: bool = False
    symbol: bool = False  # "Số: …/…" in the top-left block

    def add(self, name: str, cand: Candidate | None) -> None:
        if cand is not None:
            self.found.setdefault(name, []).append(cand)


def lines_of(segments: Sequence[Segment]) -> list[Line]:
    """The segments that hold text, in reading order, without the specks OCR makes of a
    bold title's detached accents, a seal or a signature (".^", "Ả"); printed rules kept."""
    out = []
    for seg in segments:
        if is_rule(seg):
            if len(seg.text) >= 5:
                out.append(seg)
            continue
        # a rule's stub read into a line ("ỦY BAN NHÂN DÂN _") is no word of it; other specks
        # stay: they were read where a value's letters are, and lower its confidence
        words = [w for w in seg.words if not _STUB.match(w.text)]
        if not words:
            continue
        if len(words) < len(seg.words):  # "ỦY BAN NHÂN DÂN _": a rule's stub is no word
            seg = _make(seg.page, seg.index, words)
        if sum(c.isalnum() for c in seg.text) >= 2:
            out.append(seg)
    return out


def _make(page: int, index: int, words: Sequence[OcrWord]) -> Line:
    starts, pos = [], 0
    for word in words:
        starts.append(pos)
        pos += len(word.text) + 1
    text = " ".join(w.text for w in words)
    return Segment(page, index, tuple(words), text, fold_text(text), tuple(starts))


def split_at(line: Line, offset: int) -> tuple[Line, Line]:
    """The line cut before the word holding character ``offset``: OCR read two columns
    ("ỦY BAN NHÂN DÂN   CỘNG HÒA XÃ HỘI…") as one line."""
    cut = next(
        (i for i, s in enumerate(line.starts) if s + len(line.words[i].text) > offset),
        len(line.words),
    )
    cut = max(1, min(cut, len(line.words) - 1))
    return (
        _make(line.page, line.index, line.words[:cut]),
        _make(line.page, line.index, line.words[cut:]),
    )


def join_lines(lines: Sequence[Line]) -> Line:
    """Several lines as one value ("ỦY BAN NHÂN DÂN" + "TỈNH QUẢNG NGÃI")."""
    words = [w for ln in lines for w in ln.words]
    return _make(lines[0].page, lines[0].index, words)


def is_caps(text: str) -> bool:
    """Every letter upper case (digits and punctuation allowed), and some letters."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def is_rule(line: Line) -> bool:
    """A printed rule under a block ("_______"), read as dashes or underscores."""
    return bool(_RULE.match(line.text))


def old_tone_marks(text: str) -> str:
    for old, new in _OLD_TONES:
        text = text.replace(old, new)
    return text


def as_candidate(
    name: str,
    line: Line | None,
    score: float,
    value: str | None = None,
    start: int = 0,
    end: int | None = None,
) -> Candidate | None:
    """A zone's value as a field candidate: the line's text (or ``value``, read from it),
    with the words between characters ``start`` and ``end`` as the words it was read from."""
    if line is None:
        return None
    stop = len(line.text) if end is None else end
    words = tuple(w for w, s in zip(line.words, line.starts, strict=True) if start <= s < stop)
    if value is None:  # a line's own text: specks before it are no part of the value
        raw = _LEADING_JUNK.sub("", old_tone_marks(line.text[start:stop]))
    else:
        raw = old_tone_marks(value)
    raw = raw.strip(" ,;:")
    if not raw:
        return None
    return Candidate(name, raw, words or line.words, score, line.index, "", line.page)


def rows(lines: Sequence[Line]) -> list[Line]:
    """Pieces of one printed line put back together: a handwritten number's wide blank
    splits "Số: 84 /QĐ" from "-UBND" into two segments of the same row."""
    out: list[Line] = []
    for ln in sorted(lines, key=lambda ln: (ln.top, ln.left)):
        last = out[-1] if out else None
        if last is not None and abs(ln.top - last.top) < 0.5 * last.height and ln.left > last.right:
            out[-1] = join_lines([last, ln])
        else:
            out.append(ln)
    return out


def split_columns(lines: Sequence[Line], split_x: int, bottom: int) -> list[Line]:
    """Header lines that OCR ran across both columns ("Số: 87/QĐ-UBND Quảng Ngãi, ngày…"),
    cut where the right column begins."""
    out: list[Line] = []
    for ln in lines:
        cut = next((i for i, w in enumerate(ln.words) if w.left >= split_x), 0)
        if ln.top < bottom and cut > 0:
            before = ln.words[cut - 1]
            gap = ln.words[cut].left - (before.left + before.width)
            if gap >= ln.height:  # a column's gap, not a space between words
                out += split_at(ln, ln.starts[cut])
                continue
        out.append(ln)
    return out
