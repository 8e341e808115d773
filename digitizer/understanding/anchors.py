"""Values found without a label, by where they stand or by their shape: the signing line's
date ("Bắc Giang, ngày 7 tháng 9 năm 2017") and a serial number on a line of its own.

Both read whole printed lines, not OCR segments alone: a seal over a signing line or wide
letter spacing in a serial cuts one printed line into several segments, so the segments of
one OCR line are also tried joined. And both accept what OCR makes of such lines: specks
between words ("ngày.16", "Đông Anh, ,ngày"), a stray mark beside a serial ("‘CS 123456"),
digits read apart ("CS 123 456"). Forms vary too: a signing line without its place ("Ngày
22 tháng 5 năm 2023" alone on its line) counts, less surely; a serial after a label of a
word or two that no schema lists ("Số phôi: BA 280354") counts on the first page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import groupby

from rapidfuzz import fuzz

from digitizer.records import OcrWord
from digitizer.understanding.extract import Candidate
from digitizer.understanding.labels import MIN_LABEL_SCORE, comparable
from digitizer.understanding.layout import Segment, below, fold_text
from digitizer.understanding.schema import FieldSpec
from digitizer.understanding.values import cut

# between the words and numbers of a date, OCR leaves specks: "ngày.16", "13 ' tháng"
_SPECKS = r"[\s.,:'`‘’\-]+"
# a day or month digit as OCR may read it: l/i/|/! for 1, s (S, Š) for 5, o for 0
_DAY = r"[0-9il|\]so!]{1,2}"
# where a date starts (on folded text): "ngày 7 tháng …" or "07/9/2017"
_DATE_START = re.compile(
    rf"ng[^\W\d]{{1,3}}{_SPECKS}{_DAY}{_SPECKS}th|(?<!\d)\d{{1,2}}\s*[/.\-]\s*\d{{1,2}}\s*[/.\-]\s*\d{{4}}"
)
# a place as signing lines print it: capitalised words, abbreviations ("TP.", "TT."), a
# district number ("Quận 1"), hyphens ("Bà Rịa - Vũng Tàu") and unit words (_place_word)
_UNIT_WORDS = frozenset({"thành", "phố", "thị", "trấn", "xã", "quận", "huyện", "tỉnh", "phường"})
_PLACE_WORD = r"(?:[^\W_]+(?:\.[^\W_]+)*\.?|[-–])"
_PLACE = re.compile(
    rf"(?:^|[:;]\s*)(?P<place>{_PLACE_WORD}(?:\s+{_PLACE_WORD}){{0,6}})"
    rf"(?P<sep>\s*[,.](?:\s*[,.])*\s*|\s+)(?:(?i:ng)[^\W\d]{{1,3}}\s*)?$"
)
# a signing line without its place: the date in words and nothing else on the line
_DATE_ALONE = re.compile(
    rf"\W*ng[^\W\d]{{1,3}}{_SPECKS}{_DAY}{_SPECKS}th\w{{2,4}}{_SPECKS}{_DAY}{_SPECKS}"
    r"n\w{1,2}m\s*\d{4}\W*"
)
_NOISE = re.compile(r"^\W+$")  # a token with no letter or digit: a speck, a rule, a mark
# a word or two before the value, in a wording no schema lists ("Số phôi:", "Seri:")
_FEW_WORDS = re.compile(r"^[^\W\d_]+(?:[ -][^\W\d_]+)? ?: ?")
_SPLIT_DIGITS = re.compile(r"(?<=\d) (?=\d)")
_SPLIT_LETTERS = re.compile(r"^([A-ZĐ]) ([A-ZĐ])(?= )")
# a date line without a place is less surely the signing line (a table's dates look alike)
_ALONE_SCORE, _PLACE_DATE_SCORE, _DATE_ALONE_SCORE = 0.95, 0.97, 0.9


def _lines(segments: Sequence[Segment]) -> Iterator[list[Segment]]:
    """Each segment alone, then the segments of each OCR line joined (when several)."""
    for seg in segments:
        yield [seg]
    for _, group in groupby(segments, key=lambda s: (s.page, s.words[0].line)):
        run = list(group)
        if len(run) > 1:
            yield run


def _joined(run: Sequence[Segment]) -> tuple[str, tuple[OcrWord, ...]]:
    return " ".join(s.text for s in run), tuple(w for s in run for w in s.words)


# ------------------------------------------------------------------ alone


def _serial_text(words: Sequence[OcrWord]) -> str:
    """The line's text without specks, digits read apart put back together."""
    text = " ".join(w.text for w in words if not _NOISE.match(w.text)).strip(" .,;:'‘’|")
    return _SPLIT_LETTERS.sub(r"\1\2", _SPLIT_DIGITS.sub("", text))


def _under_other_label(segments: Sequence[Segment], seg: Segment, spec: FieldSpec) -> bool:
    """The line above ends with a colon, the label of another value ("Số vào sổ cấp GCN:"
    over a registry number)."""
    above = [
        s
        for s in segments
        if s.page == seg.page
        and s.index != seg.index
        and below(segments, s, left=seg.left, right=seg.right) is seg
    ]
    for line in above:
        text = line.text.rstrip()
        if text.endswith(":"):
            key = comparable(fold_text(text.rstrip(" :")))
            own = (comparable(fold_text(label)) for label in spec.labels)
            if not any(fuzz.partial_ratio(label, key) >= MIN_LABEL_SCORE for label in own):
                return True
    return False


def _alone_value(text: str, shape: re.Pattern[str], page: int) -> tuple[str, float] | None:
    """The value and its score when ``text`` is the value alone, or on the first page after
    a label of one or two words (a serial's shape is its own evidence; later pages hold
    other numbers of that shape under labels: "Vào sổ: CS 012345")."""
    if shape.fullmatch(text):
        return text, _ALONE_SCORE
    label = _FEW_WORDS.match(text)
    if page == 0 and label and shape.fullmatch(text[label.end() :]):
        return text[label.end() :], _ALONE_SCORE - 0.05
    return None


def alone_candidates(segments: Sequence[Segment], spec: FieldSpec) -> list[Candidate]:
    """A value printed on a line of its own, recognised by its shape (a serial number)."""
    if spec.capture is None:
        return []
    out = []
    matched: set[int] = set()
    for run in _lines(segments):
        if any(s.index in matched for s in run):
            continue  # found on one of its segments already
        _, words = _joined(run)
        found = _alone_value(_serial_text(words), spec.capture, run[0].page)
        if found is None or _under_other_label(segments, run[0], spec):
            continue
        matched.update(s.index for s in run)
        value, score = found
        out.append(Candidate(spec.name, value, words, score, run[0].index, "", run[0].page))
    return out


# ------------------------------------------------------------------ place and date


def _place_word(word: str) -> bool:
    return (
        word[:1].isupper()
        or word in ("-", "–")
        or word.lower() in _UNIT_WORDS
        or (word.isdigit() and len(word) <= 2)
    )


def _place_date_at(text: str) -> int | None:
    """Where the date of a signing line "<place>, ngày … tháng … năm …" starts in ``text``;
    the place is a name, not a sentence ("Căn cứ Luật Xây dựng, ngày …")."""
    if _DATE_ALONE.fullmatch(fold_text(text)):
        return 0  # "Ngày 22 tháng 5 năm 2023" alone: the place left out
    for m in _DATE_START.finditer(fold_text(text)):
        head = _PLACE.search(text[: m.start()])
        if head is None or not all(_place_word(w) for w in head["place"].split()):
            continue
        capitalised = [w for w in head["place"].split() if w[:1].isupper()]
        if any(c in head["sep"] for c in ",.") or len(capitalised) >= 2:
            return head.end("sep")  # a comma dropped by OCR only where the place is clear
    return None


def place_date_candidates(segments: Sequence[Segment], spec: FieldSpec) -> list[Candidate]:
    """The signing line "Bắc Giang, ngày 7 tháng 9 năm 2017" (a date with no label)."""
    out = []
    matched: set[int] = set()
    for run in _lines(segments):
        if any(s.index in matched for s in run):
            continue
        text, words = _joined(run)
        start = _place_date_at(text)
        raw = text[start:] if start is not None else ""
        if not raw or cut(spec, raw) is None:
            continue  # no date, or one cut apart: "ngày 7 tháng 9" | seal | "năm 2017"
        matched.update(s.index for s in run)
        used = [w for w in words if fold_text(w.text) in fold_text(raw)] or list(words)
        score = _DATE_ALONE_SCORE if start == 0 else _PLACE_DATE_SCORE
        out.append(Candidate(spec.name, raw, tuple(used), score, run[0].index, "", run[0].page))
    return out
