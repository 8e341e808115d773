"""OCR words regrouped into text segments: the units labels and values are found in.

A segment is a run of words on one OCR line with no wide gap inside: Tesseract sometimes
reads two columns (husband | wife, agency | national motto) as one line, and a label in
the right column must not take the left column's text as its value.

Every segment carries a *folded* copy of its text (no diacritics, lower case, ``đ``→``d``)
of the same length, so a fuzzy match found in the folded text maps back to the original
characters and to the words (and their boxes and confidences) under them.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby, pairwise

from rapidfuzz import fuzz

from digitizer.records import OcrWord

_GAP_IN_LINE_HEIGHTS = 2.2


def fold_char(ch: str) -> str:
    """One character without its diacritics, lower case (always one character)."""
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if len(base) == 1 else ch


@functools.lru_cache(maxsize=65536)
def fold_text(text: str) -> str:
    """Folded per character (same length as ``text``). Cached: label matching folds the same
    lines and labels thousands of times per document, and re-indexing runs it on millions."""
    return "".join(fold_char(c) for c in text)


@dataclass(frozen=True, slots=True)
class Segment:
    page: int
    index: int  # reading order over the whole document
    words: tuple[OcrWord, ...]
    text: str
    folded: str
    starts: tuple[int, ...]  # character offset of each word in ``text``

    @property
    def left(self) -> int:
        return self.words[0].left

    @property
    def right(self) -> int:
        return max(w.left + w.width for w in self.words)

    @property
    def top(self) -> int:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> int:
        return max(w.top + w.height for w in self.words)

    @property
    def height(self) -> int:
        heights = sorted(w.height for w in self.words)
        return heights[len(heights) // 2]

    def words_in(self, start: int, end: int) -> list[OcrWord]:
        """The words whose characters overlap ``text[start:end]``."""
        out = []
        for word, offset in zip(self.words, self.starts, strict=True):
            if offset < end and offset + len(word.text) > start:
                out.append(word)
        return out

    def x_at(self, offset: int) -> int:
        """Horizontal position (pixels) of the character at ``offset``."""
        for word, start in zip(self.words, self.starts, strict=True):
            if start <= offset < start + len(word.text) + 1:
                share = (offset - start) / max(len(word.text), 1)
                return word.left + int(min(share, 1.0) * word.width)
        return self.right


def _split_at_gaps(words: Sequence[OcrWord]) -> Iterable[list[OcrWord]]:
    heights = sorted(w.height for w in words)
    gap_limit = _GAP_IN_LINE_HEIGHTS * heights[len(heights) // 2]
    run = [words[0]]
    for prev, word in pairwise(words):
        if word.left - (prev.left + prev.width) > gap_limit:
            yield run
            run = []
        run.append(word)
    yield run


def segments_of(pages: Sequence[Sequence[OcrWord]]) -> list[Segment]:
    """All segments of a document, in reading order (page, OCR line, left to right)."""
    out: list[Segment] = []
    for page_no, words in enumerate(pages):
        ordered = sorted(words, key=lambda w: (w.line, w.left))
        for _, line in groupby(ordered, key=lambda w: w.line):
            for run in _split_at_gaps(list(line)):
                starts, pos = [], 0
                for word in run:
                    starts.append(pos)
                    pos += len(word.text) + 1
                text = " ".join(w.text for w in run)
                out.append(
                    Segment(page_no, len(out), tuple(run), text, fold_text(text), tuple(starts))
                )
    return out


def below(segments: Sequence[Segment], seg: Segment, *, left: int, right: int) -> Segment | None:
    """The next segment under ``seg`` that overlaps ``[left, right]`` horizontally."""
    best: Segment | None = None
    for other in segments:
        if other.page != seg.page or other.top <= seg.top + seg.height // 2:
            continue
        if other.top - seg.bottom > 1.6 * max(seg.height, 1):
            continue
        if other.right < left or other.left > right:
            continue
        if best is None or other.top < best.top:
            best = other
    return best


def before_headings(
    segments: Sequence[Segment], headings: Sequence[str], min_score: float = 90.0
) -> list[Segment]:
    """The segments up to the first line that is one of ``headings`` (fuzzily, in
    reading order); all of them when none is."""
    needles = [fold_text(h).strip() for h in headings]
    for i, seg in enumerate(segments):
        for needle in needles:
            if len(seg.folded) >= 0.7 * len(needle) and (
                fuzz.partial_ratio(needle, seg.folded) >= min_score
            ):
                return list(segments[:i])
    return list(segments)
