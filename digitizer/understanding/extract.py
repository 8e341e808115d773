"""Find each field's value in the OCR words: label hits, sections, values, their words.

How a value is found, in order:

1. The labels: every label of the schema's fields, and the shared stop labels, as listed
   and as printed ("5. Họ và tên chủ hộ:" holds "Họ và tên"); see :mod:`labels`.
2. A value is the text after its label up to the next label on the segment ("Giới tính: Nữ
   Dân tộc: Kinh"), else the segment below (the label ends its line). Multi-line values
   continue on lines below that hold no label.
3. Sections ("Thông tin của chồng" | "Thông tin của vợ", side by side or one after the
   other) restrict the fields that belong to one person to that person's region, when
   they are read through a label that only the section makes theirs ("Địa chỉ"; not
   "Địa điểm xây dựng", which names the site wherever it stands).
4. The value is cut out by type (a name is the run of upper-case words, an ID the digits,
   a date the first date) so a value inside a sentence stops where it should.

Each candidate keeps the words it came from, so confidence can use their OCR scores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from digitizer.records import OcrWord
from digitizer.understanding.labels import (
    MIN_LABEL_SCORE,
    LabelHit,
    Wanted,
    comparable,
    listed_hits,
    printed_hits,
    vocabulary,
)
from digitizer.understanding.layout import Segment, below, fold_text
from digitizer.understanding.schema import DocumentSchema, FieldSpec
from digitizer.understanding.values import cut, ends_unnamed

__all__ = ["Candidate", "LabelHit", "candidates", "label_hits", "section_regions"]

_ENUMERATOR = re.compile(r"^\s*(?:[a-zđ]\)|\d{1,2}[.)]|[IVXl]{1,4}[.)]|[-+•*])\s")
_SEPARATORS = " \t:;.,-–—=_|"
# a printed label's score under which its extra words are another field's ("… của mẹ")
_SOMEONE_ELSES = 0.7
# a line that opens with lower-case words and a colon carries on a label broken at the end
# of the line above ("…, địa chỉ" / "thường trú: như trên"): it is not that label's value
_LABEL_GOES_ON = re.compile(r"^[^\W\d_]+(?: [^\W\d_]+){0,2} ?:")
# …, also when the break falls inside the label: "…, địa chỉ thường" / "trú: như trên"
_LABEL_WORD = re.compile(r"[^\W\d_A-ZĐ]+")
_LAST_LABEL_WORD = re.compile(r"^[^\W\d_A-ZĐ]+ ?:")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A field value as found: raw text, the words under it, and how it was found."""

    field: str
    raw: str
    words: tuple[OcrWord, ...]
    label_score: float
    order: int  # reading order, for ties
    next_line: str = ""  # the line below, for a value broken at the end of its line
    page: int = 0


# ------------------------------------------------------------------------ labels


def _wanted(schema: DocumentSchema, stop_labels: Sequence[str]) -> tuple[Wanted, ...]:
    """Every label to look for: fields' (generic ones apart), headings', stop labels."""
    wanted: list[Wanted] = []
    for spec in schema.fields:
        wanted += [Wanted(spec.name, label, spec, False) for label in spec.labels]
        wanted += [Wanted(spec.name, label, spec, True) for label in spec.section_labels]
    for section in schema.sections:
        wanted += [Wanted(f"§{section.name}", h, None, False) for h in section.headings]
    wanted += [Wanted("", label, None, False) for label in stop_labels]
    return tuple(wanted)


def label_hits(
    segments: Sequence[Segment], schema: DocumentSchema, stop_labels: Sequence[str]
) -> list[LabelHit]:
    """All label hits of the document (as listed, then as printed; :mod:`labels`), in
    reading order within each segment."""
    wanted = _wanted(schema, stop_labels)
    vocab = vocabulary(wanted)
    accepted: list[LabelHit] = []
    for seg in segments:
        taken = printed_hits(seg, listed_hits(seg, wanted), vocab)
        accepted += sorted(taken, key=lambda h: h.start)
    return accepted


# ------------------------------------------------------------------------ sections


@dataclass(frozen=True, slots=True)
class _Region:
    page: int
    top: int
    x_min: int
    x_max: int
    bottom: int  # exclusive; a large number for "to the end of the page"
    order: int

    def holds(self, hit: LabelHit) -> bool:
        seg = hit.segment
        x = seg.x_at(hit.start)
        return (
            seg.page == self.page
            and self.top <= seg.top < self.bottom
            and self.x_min <= x < self.x_max
        )


def _column_split(segments: Sequence[Segment], left: LabelHit, right: LabelHit) -> int:
    """Where the column of ``right`` begins: the leftmost start of a line below the two
    headings that lies right of the left heading (headings are centred over their columns,
    the lines under them are not)."""
    page, row_bottom = left.segment.page, max(left.segment.bottom, right.segment.bottom)
    left_end = left.segment.x_at(left.end)
    right_x = right.segment.x_at(right.start)
    starts = [
        s.left
        for s in segments
        if s.page == page and s.top >= row_bottom and left_end < s.left <= right_x
    ]
    return min(starts) - left.segment.height // 2 if starts else right_x


def section_regions(
    segments: Sequence[Segment], hits: Sequence[LabelHit], schema: DocumentSchema
) -> dict[str, list[_Region]]:
    """Where each section (one person's block) lies, columns included."""
    openers = {f.name: f.opens_section for f in schema.fields if f.opens_section}
    starts: list[tuple[str, LabelHit]] = []
    for hit in hits:
        if hit.owner.startswith("§"):
            starts.append((hit.owner[1:], hit))
        elif hit.owner in openers and not hit.generic:
            starts.append((openers[hit.owner], hit))
    regions: dict[str, list[_Region]] = {}
    for name, hit in starts:
        seg = hit.segment
        x = seg.x_at(hit.start)
        margin = seg.height
        row = sorted(
            (
                h
                for _, h in starts
                if h.segment.page == seg.page
                and abs(h.segment.top - seg.top) < seg.height
                and abs(h.segment.x_at(h.start) - x) > margin
            ),
            key=lambda h: h.segment.x_at(h.start),
        )
        lefts = [h for h in row if h.segment.x_at(h.start) < x]
        rights = [h for h in row if h.segment.x_at(h.start) > x]
        x_min = _column_split(segments, lefts[-1], hit) if lefts else 0
        x_max = _column_split(segments, hit, rights[0]) if rights else 1 << 30
        later = [
            h.segment.top
            for _, h in starts
            if h.segment.page == seg.page
            and h.segment.top > seg.top + seg.height // 2
            and x_min <= h.segment.x_at(h.start) < x_max
        ]
        bottom = min(later) if later else 1 << 30
        top = seg.top - seg.height // 2
        regions.setdefault(name, []).append(_Region(seg.page, top, x_min, x_max, bottom, seg.index))
    return regions


# ------------------------------------------------------------------------ values


def _value_after(
    hit: LabelHit, hits_by_seg: dict[int, list[LabelHit]]
) -> tuple[Segment, int, int] | None:
    """(segment, start, end) of the text between a label and the next label on its line.

    A parenthesis right after the label is the label's own note ("Tên hộ kinh doanh (ghi
    bằng chữ in hoa): …") and is skipped, with whatever labels it seems to contain.
    """
    seg = hit.segment
    start = hit.end
    while start < len(seg.text) and seg.text[start] in _SEPARATORS:
        start += 1
    if seg.text.startswith("(", start):
        close = seg.text.find(")", start)
        if close > 0:
            start = close + 1
            while start < len(seg.text) and seg.text[start] in _SEPARATORS:
                start += 1
    nxt = [h.start for h in hits_by_seg.get(seg.index, []) if h.start >= start]
    end = min(nxt) if nxt else len(seg.text)
    if any(c.isalnum() for c in seg.text[start:end]):
        return seg, start, end
    return None


def _is_label_of(spec: FieldSpec, text: str) -> bool:
    key = comparable(fold_text(text)).strip(" :")
    return any(
        fuzz.ratio(key, comparable(fold_text(label))) >= MIN_LABEL_SCORE
        for label in (*spec.labels, *spec.section_labels)
    )


def _label_goes_on(text: str) -> bool:
    return text[:1].islower() and _LABEL_GOES_ON.match(text) is not None


def _unreadable_after(hit: LabelHit, hits_by_seg: dict[int, list[LabelHit]]) -> bool:
    """Something other than separators follows the label on its line ("Số tầng: †"): the
    value is there, unreadable, and the line below is not it."""
    seg = hit.segment
    nxt = [h.start for h in hits_by_seg.get(seg.index, []) if h.start >= hit.end]
    rest = seg.text[hit.end : min(nxt) if nxt else len(seg.text)]
    rest = re.sub(r"\([^)]*\)", "", rest)  # the label's own note "(ghi bằng chữ in hoa)"
    return bool(rest.strip(_SEPARATORS + "()"))


def _continuations(
    seg: Segment,
    words: Sequence[OcrWord],
    segments: Sequence[Segment],
    hits_by_seg: dict[int, list[LabelHit]],
    limit: int,
) -> list[Segment]:
    """Lines below a value that carry on with it: between its line's margin and the value's
    right end (not the neighbouring column), holding no label and starting no list item."""
    out: list[Segment] = []
    current = seg
    left = min(seg.left, *(w.left for w in words))  # the column's margin
    right = max(w.left + w.width for w in words)  # but not past the value: no next column
    for _ in range(limit):
        nxt = below(segments, current, left=left, right=right)
        if nxt is None or hits_by_seg.get(nxt.index) or _ENUMERATOR.match(nxt.text):
            break
        text = nxt.text.rstrip()
        if text.endswith(":") and "," not in text and not ends_unnamed(current.text):
            break  # a heading or a label of its own ("1. Thành phần hồ sơ nộp gồm:")
        if nxt.left < seg.left - 2 * seg.height or nxt.left > right:
            break
        out.append(nxt)
        current = nxt
    return out


def _place_of(
    hit: LabelHit,
    spec: FieldSpec,
    segments: Sequence[Segment],
    hits_by_seg: dict[int, list[LabelHit]],
) -> tuple[Segment, int, int] | None:
    """(segment, start, end) of the label's value: after it on its line, else below."""
    seg = hit.segment
    place = _value_after(hit, hits_by_seg)
    label = seg.text[hit.start : hit.end]
    if place is not None:
        _, start, end = place
        if end < len(seg.text) or not _LABEL_WORD.fullmatch(seg.text[start:end].strip()):
            return place
        label = seg.text[hit.start : end].strip()  # "…, địa chỉ thường" / "trú: như trên"
    elif _unreadable_after(hit, hits_by_seg):
        return None  # a value was printed after the label, but OCR read no letter of it
    # the line under the label itself first: two columns read as one line ("Ngày sinh:
    # Ngày sinh:") have each their value under their own label
    x = seg.x_at(hit.start)
    under = below(segments, seg, left=x, right=max(seg.x_at(hit.end), x + 1)) or below(
        segments, seg, left=seg.left, right=max(seg.right, seg.left + 1)
    )
    if under is None or _ENUMERATOR.match(under.text):
        return place if place is not None else None  # no line, or the next list item
    begin = 0
    if _label_goes_on(under.text) and (place is None or _LAST_LABEL_WORD.match(under.text)):
        # the rest of a label broken at the line's end: this field's label ("Vào sổ cấp
        # giấy chứng nhận" / "số: H71344") or another one ("…, địa chỉ" / "thường trú: như
        # trên"), whose value this is not
        begin = under.text.index(":") + 1
        if not _is_label_of(spec, f"{label} {under.text[: begin - 1]}"):
            return None
    elif place is not None:
        return place
    under_hits = hits_by_seg.get(under.index, [])
    end = min((h.start for h in under_hits if h.start >= begin), default=len(under.text))
    if end <= begin or not any(c.isalnum() for c in under.text[begin:end]):
        return None
    return under, begin, end


def _candidate(
    hit: LabelHit,
    spec: FieldSpec,
    segments: Sequence[Segment],
    hits_by_seg: dict[int, list[LabelHit]],
) -> Candidate | None:
    place = _place_of(hit, spec, segments, hits_by_seg)
    if place is None:
        return None
    seg, start, end = place
    raw = seg.text[start:end]
    words = seg.words_in(start, end)
    if spec.multiline or spec.type == "name":
        limit = 3 if spec.multiline else 1
        for more in _continuations(seg, words or seg.words, segments, hits_by_seg, limit):
            if spec.type == "name" and not more.text.replace(" ", "").isupper():
                break
            raw += " " + more.text
            words += list(more.words)
    after = below(segments, seg, left=seg.left, right=seg.right)
    next_line = ""
    if after is not None and not hits_by_seg.get(after.index):
        next_line = after.text
    return Candidate(
        spec.name, raw.strip(), tuple(words), hit.score, seg.index, next_line, seg.page
    )


def _needs_region(hit: LabelHit, spec: FieldSpec) -> bool:
    """A field of a section counts only inside it when read through a generic label."""
    return hit.generic or (
        spec.section is not None and spec.opens_section is None and hit.label in spec.section_labels
    )


def _has_value(spec: FieldSpec, cand: Candidate) -> bool:
    return cut(spec, cand.raw) is not None or (
        bool(cand.next_line) and cut(spec, f"{cand.raw} {cand.next_line}") is not None
    )


def candidates(
    segments: Sequence[Segment],
    hits: Sequence[LabelHit],
    schema: DocumentSchema,
) -> dict[str, list[Candidate]]:
    """Every plausible (label, value) pair per field, in reading order. Where a label found
    as listed gave a value, a printed label with a word of another field's labels ("Số
    định danh cá nhân của mẹ") gives none: it is someone else's. Other printed labels give
    theirs too ("Họ và tên người làm chứng"), so that a disagreement goes to a clerk."""
    hits_by_seg: dict[int, list[LabelHit]] = {}
    for hit in hits:
        hits_by_seg.setdefault(hit.segment.index, []).append(hit)
    regions = section_regions(segments, hits, schema)
    listed: dict[str, list[Candidate]] = {f.name: [] for f in schema.fields}
    printed: dict[str, list[Candidate]] = {f.name: [] for f in schema.fields}
    for hit in hits:
        spec = next((f for f in schema.fields if f.name == hit.owner), None)
        if spec is None:
            continue
        if _needs_region(hit, spec) and not any(
            r.holds(hit) for r in regions.get(spec.section or "", [])
        ):
            continue
        cand = _candidate(hit, spec, segments, hits_by_seg)
        if cand is not None:
            (listed if hit.exact else printed)[spec.name].append(cand)
    for spec in schema.fields:
        more = printed[spec.name]
        if any(_has_value(spec, c) for c in listed[spec.name]):
            more = [c for c in more if c.label_score >= _SOMEONE_ELSES]
        listed[spec.name] = sorted(listed[spec.name] + more, key=lambda c: c.order)
    return listed
