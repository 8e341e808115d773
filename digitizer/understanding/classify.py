"""Which document type a page stack is: schema rules first, never a forced guess.

The rules: a type's title, as printed near the top of the first page (fuzzily: OCR drops
diacritics and letters in titles too, and titles wrap over two or three lines), and its
cues, phrases found anywhere (a birth certificate names the mother and the father). A
title that belongs to a look-alike (``excludes``: "TỜ KHAI ĐĂNG KÝ KHAI SINH" is an
application form, not a birth certificate) vetoes the type. Without a title match, a type
is taken only when its cues are overwhelming and no other type's are; anything else is
``unknown``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from digitizer.understanding.layout import Segment, fold_text
from digitizer.understanding.schema import DocumentSchema, SchemaSet

if TYPE_CHECKING:
    from digitizer.understanding.zones import Zones

UNKNOWN = "unknown"
_TITLE_MIN = 88.0
_CUE_MIN = 90.0
_TOP_SEGMENTS = 30  # the title sits among the first lines of page 1
_CUES_ONLY_MIN = 0.75


@dataclass(frozen=True, slots=True)
class Classification:
    doc_type: str
    confidence: float
    title_score: float = 0.0
    cue_score: float = 0.0


def _windows(segments: Sequence[Segment]) -> list[str]:
    """Folded text of each top title-like segment, alone and joined with the next one or two.

    A title is printed on lines of its own, in capitals: windows made of other lines are
    not compared, so a title quoted inside a sentence ("Giấy chứng nhận quyền sử dụng đất số
    …" in a construction permit) does not make the document one.
    """
    top = [s for s in segments if s.page == 0][:_TOP_SEGMENTS]
    out = []
    for i in range(len(top)):
        for span in (1, 2, 3):
            if i + span > len(top):
                continue
            group = top[i : i + span]
            letters = [c for s in group for c in s.text if c.isalpha()]
            if letters and sum(c.isupper() for c in letters) >= 0.75 * len(letters):
                out.append(" ".join(s.folded for s in group))
    return out


def _prefix_score(prefixes: Sequence[str], windows: Sequence[str]) -> tuple[float, int]:
    """Like :func:`_title_score`, for titles that only begin with one of ``prefixes``."""
    best_score, best_length = 0.0, 0
    for prefix in prefixes:
        needle = fold_text(prefix)
        score = (
            max(
                (fuzz.ratio(needle, w[: len(needle)]) for w in windows if len(w) > len(needle)),
                default=0.0,
            )
            / 100
        )
        if score * 100 >= _TITLE_MIN and score >= best_score:
            best_score, best_length = score, len(needle)
    return best_score, best_length


def _title_score(titles: Sequence[str], windows: Sequence[str]) -> tuple[float, int]:
    """Best score (0..1) of any title against a whole window, and that title's length."""
    best_score, best_length = 0.0, 0
    for title in titles:
        needle = fold_text(title)
        score = max((fuzz.ratio(needle, w) for w in windows), default=0.0) / 100
        if score * 100 >= _TITLE_MIN and (round(score, 2), len(needle)) > (
            round(best_score, 2),
            best_length,
        ):
            best_score, best_length = score, len(needle)
    return best_score, best_length


def _cue_score(cues: Sequence[str], whole: str) -> float:
    if not cues:
        return 0.0
    found = sum(1 for cue in cues if fuzz.partial_ratio(fold_text(cue), whole) >= _CUE_MIN)
    return found / len(cues)


def _layout_title(zones: Zones | None) -> tuple[float, int] | None:
    """A Decree 30 document is its layout: the motto top right and "Số: …/…" top left (a
    citizen's form has the motto, not a number and symbol), then a kind title or, for a
    công văn, a "V/v" summary. None: not that layout."""
    if zones is None or not zones.motto or not zones.symbol:
        return None
    kinds = zones.found.get("document_kind")
    if not kinds:
        return None
    kind = kinds[0]
    if kind.raw == "CÔNG VĂN":
        return 0.9, 0  # any printed title of another type wins over a "V/v" line
    if kind.label_score < 0.9:  # named by the symbol's abbreviation alone, no title read
        return 0.85, 0
    return 1.0, len(kind.raw)


def classify(
    segments: Sequence[Segment], schemas: SchemaSet, zones: Zones | None = None
) -> Classification:
    """The type of a document; ``zones`` are its Decree 30 zones, if a schema reads them."""
    if not segments:
        return Classification(UNKNOWN, 1.0)
    windows = _windows(segments)
    whole = " ".join(s.folded for s in segments)
    scored: list[tuple[float, int, float, DocumentSchema]] = []
    for schema in schemas.schemas:
        if schema.layout is not None:
            laid_out = _layout_title(zones)
            if laid_out is not None:
                scored.append((*laid_out, _cue_score(schema.cues, whole), schema))
            continue
        title, length = _title_score(schema.titles, windows)
        if not title and schema.title_prefixes:
            title, length = _prefix_score(schema.title_prefixes, windows)
            title *= 0.95  # a prefix says less than a whole title
        excluded, ex_length = _title_score(schema.excludes, windows)
        if excluded and ex_length >= length:
            continue
        scored.append((title, length, _cue_score(schema.cues, whole), schema))
    titled = [s for s in scored if s[0] > 0]
    if titled:
        # the best-matching title wins; among equals the longer (more specific) one
        title, _, cues, schema = max(titled, key=lambda s: (round(s[0], 2), s[1], s[2]))
        confidence = title * (0.75 + 0.25 * cues)
        return Classification(schema.doc_type, round(confidence, 4), title, cues)
    by_cues = sorted(scored, key=lambda s: s[2], reverse=True)
    if (
        by_cues
        and by_cues[0][2] >= _CUES_ONLY_MIN
        and (len(by_cues) == 1 or by_cues[1][2] < 0.5 * by_cues[0][2])
    ):
        _, _, cues, schema = by_cues[0]
        return Classification(schema.doc_type, round(0.6 * cues, 4), 0.0, cues)
    return Classification(UNKNOWN, 0.0)
