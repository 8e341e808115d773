"""Values found without a label, by where they stand or by their shape: the signing line's
date ("Bắc Giang, ngày 7 tháng 9 năm 2017") and a serial number on a line of its own."""

from __future__ import annotations

import re
from collections.abc import Sequence

from digitizer.understanding.extract import Candidate
from digitizer.understanding.layout import Segment
from digitizer.understanding.schema import FieldSpec

# between the words and numbers of a date, OCR leaves specks: "ngày.16", "13 ' tháng"
_SPECKS = r"[\s.,:'`‘’]+"
# a day or month digit as OCR may read it: l/i/| for 1, s (S, Š) for 5, o for 0
_DAY = r"([0-9il|\]so]{1,2})"
_PLACE_DATE = re.compile(
    rf"(?:^|[:;]\s*)[^\W\d][^,:;]{{1,40}},\s*ng[^\W\d]{{1,3}}{_SPECKS}{_DAY}{_SPECKS}th\w{{2,4}}"
    rf"{_SPECKS}{_DAY}{_SPECKS}n\w{{1,2}}m\s+(\d{{4}})"
)


def alone_candidates(segments: Sequence[Segment], spec: FieldSpec) -> list[Candidate]:
    """A value printed on a line of its own, recognised by its shape (a serial number)."""
    if spec.capture is None:
        return []
    out = []
    for seg in segments:
        m = spec.capture.fullmatch(seg.text.strip(" .,;"))
        if m:
            out.append(
                Candidate(spec.name, seg.text.strip(), seg.words, 0.95, seg.index, "", seg.page)
            )
    return out


def place_date_candidates(segments: Sequence[Segment], spec: FieldSpec) -> list[Candidate]:
    """The signing line "Bắc Giang, ngày 7 tháng 9 năm 2017" (a date with no label)."""
    out = []
    for seg in segments:
        m = _PLACE_DATE.search(seg.folded)
        if m:
            start = seg.folded.index(",", m.start()) + 1
            out.append(
                Candidate(
                    spec.name,
                    seg.text[start : m.end()],
                    tuple(seg.words_in(start, m.end())),
                    0.97,
                    seg.index,
                    "",
                    seg.page,
                )
            )
    return out
