"""Find each field's value in the OCR words: label hits, sections, values, their words.

How a value is found, in order:

1. Every label of the schema's fields, and the shared stop labels, is searched in every
   segment, fuzzily on folded text (OCR drops and swaps diacritics in labels too). Where
   hits overlap, the longer label wins: "Họ, chữ đệm, tên người mẹ" beats "Họ, chữ đệm, tên".
2. A value is the text after its label up to the next label on the segment ("Giới tính: Nữ
   Dân tộc: Kinh"), else the segment below (the label ends its line). Multi-line values
   continue on lines below that hold no label.
3. Sections ("Thông tin của chồng" | "Thông tin của vợ", side by side or one after the
   other) restrict the fields that belong to one person to that person's region.
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
from digitizer.understanding.layout import Segment, below, fold_text
from digitizer.understanding.schema import DocumentSchema, FieldSpec
from digitizer.understanding.values import ends_unnamed

_MIN_LABEL_SCORE = 88.0
_SHORT_LABEL = 4  # folded length at or under which a label must match exactly
_ENUMERATOR = re.compile(r"^\s*(?:[a-zđ]\)|\d{1,2}[.)]|[IVXl]{1,4}[.)]|[-+•*])\s")
_SEPARATORS = " \t:;.,-–—=_|"
# a line that opens with lower-case words and a colon carries on a label broken at the end
# of the line above ("…, địa chỉ" / "thường trú: như trên"): it is not that label's value
_LABEL_GOES_ON = re.compile(r"^[^\W\d_]+(?: [^\W\d_]+){0,2} ?:")
_SAME_PUNCT = str.maketrans({".": ",", ";": ","})


@dataclass(frozen=True, slots=True)
class LabelHit:
    segment: Segment
    start: int
    end: int
    owner: str  # a field name, "§section", or "" for a stop label
    score: float  # 0..1
    generic: bool = False  # a section label: counts only inside the field's section

    @property
    def length(self) -> int:
        return self.end - self.start


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


def _boundary_ok(folded: str, start: int, end: int) -> bool:
    before = folded[start - 1] if start > 0 else " "
    after = folded[end] if end < len(folded) else " "
    return not before.isalnum() and not (after.isalnum() and folded[end - 1].isalnum())


def _comparable(folded: str) -> str:
    """Folded text with the punctuation OCR confuses inside labels made one ("Họ. chữ đệm.
    tên" is "Họ, chữ đệm, tên"); same length, so offsets still map back."""
    return folded.translate(_SAME_PUNCT)


def _find(label: str, seg: Segment) -> list[tuple[int, int, float]]:
    """Occurrences (start, end, score 0..1) of ``label`` in the segment's folded text."""
    needle = _comparable(fold_text(label).strip())
    text = _comparable(seg.folded)
    found: list[tuple[int, int, float]] = []
    if len(needle) <= _SHORT_LABEL:
        for m in re.finditer(re.escape(needle), text):
            if _boundary_ok(text, m.start(), m.end()):
                found.append((m.start(), m.end(), 1.0))
        return found
    offset = 0
    while offset < len(text) - 2 and len(found) < 4:
        rest = text[offset:]
        if len(rest) < len(needle) * 0.7:
            break
        hit = fuzz.partial_ratio_alignment(needle, rest, score_cutoff=_MIN_LABEL_SCORE)
        if hit is None:
            break
        start, end = offset + hit.dest_start, offset + hit.dest_end
        # snap to word boundaries (the alignment may start or end inside a word)
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
            end += 1
        while end > start and not text[end - 1].isalnum():  # ": " is no part of a label
            end -= 1
        # a label never holds a colon inside: that would be a label and part of its value
        inner = seg.text[start:end].rstrip(" :")
        # scored again as snapped: an alignment shifted left over a word of the value
        # before it ("NAM Họ, chữ đệm, tên" for "Họ, chữ đệm, tên vợ") scores low
        score = min(hit.score, fuzz.ratio(needle, text[start:end]))
        if end - start <= len(needle) * 1.3 and ":" not in inner and score >= _MIN_LABEL_SCORE:
            found.append((start, end, score / 100.0))
        offset = max(end, offset + 1)
    return found


def _short_label_ok(spec: FieldSpec | None, seg: Segment, start: int, end: int) -> bool:
    """A label like "Số" or "Ông" counts only at the start of a line or clause ("CCCD số:"
    and "vợ là bà:" are not it), and only before ":" or, for a name, an upper-case word."""
    before = seg.text[:start].rstrip(" ")
    if before and before[-1] not in ",;(-–.":
        return False
    rest = seg.text[end:].lstrip(" ")
    if rest.startswith(":"):
        return True
    if spec is not None and spec.type == "name":
        word = rest.split(" ", 1)[0] if rest else ""
        return len(word) > 1 and word.isupper()
    return False


def _caps_value(label: str, seg: Segment, start: int, end: int) -> bool:
    """Upper-case text matching a mixed-case label, with no colon after it, is a value:
    "ĐIỆN THOẠI OANH" is a shop's name, not the label "Điện thoại"."""
    matched = [c for c in seg.text[start:end] if c.isalpha()]
    if not matched or not all(c.isupper() for c in matched) or label.isupper():
        return False
    return not seg.text[end:].lstrip(" ").startswith(":")


def label_hits(
    segments: Sequence[Segment], schema: DocumentSchema, stop_labels: Sequence[str]
) -> list[LabelHit]:
    """All label hits of the document, overlaps resolved in favour of longer labels."""
    wanted: list[tuple[str, str, FieldSpec | None, bool]] = []
    for field_spec in schema.fields:
        wanted += [(field_spec.name, label, field_spec, False) for label in field_spec.labels]
        wanted += [
            (field_spec.name, label, field_spec, True) for label in field_spec.section_labels
        ]
    for section in schema.sections:
        wanted += [(f"§{section.name}", heading, None, False) for heading in section.headings]
    wanted += [("", label, None, False) for label in stop_labels]
    accepted: list[LabelHit] = []
    for seg in segments:
        hits = []
        for owner, label, spec, generic in wanted:
            short = len(fold_text(label).strip()) <= _SHORT_LABEL
            for start, end, score in _find(label, seg):
                if short and not _short_label_ok(spec, seg, start, end):
                    continue
                if not owner.startswith("§") and _caps_value(label, seg, start, end):
                    continue
                if owner == "" and not seg.text[end:].lstrip(" ").startswith(":"):
                    continue  # a stop label is a label only before its colon
                hits.append(LabelHit(seg, start, end, owner, score, generic))
        hits.sort(key=lambda h: (h.length * h.score, h.score, not h.generic), reverse=True)
        taken: list[LabelHit] = []
        for hit in hits:
            # the same span may stand for several fields (a generic label of the husband's
            # and of the wife's block); sections decide later which one it is
            same = [t for t in taken if (t.start, t.end) == (hit.start, hit.end)]
            if (same and all(t.owner != hit.owner for t in same) and hit.generic) or all(
                hit.end <= t.start or hit.start >= t.end for t in taken
            ):
                taken.append(hit)
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
    key = _comparable(fold_text(text)).strip(" :")
    return any(
        fuzz.ratio(key, _comparable(fold_text(label))) >= _MIN_LABEL_SCORE
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


def candidates(
    segments: Sequence[Segment],
    hits: Sequence[LabelHit],
    schema: DocumentSchema,
) -> dict[str, list[Candidate]]:
    """Every plausible (label, value) pair per field, in reading order."""
    hits_by_seg: dict[int, list[LabelHit]] = {}
    for hit in hits:
        hits_by_seg.setdefault(hit.segment.index, []).append(hit)
    regions = section_regions(segments, hits, schema)
    found: dict[str, list[Candidate]] = {f.name: [] for f in schema.fields}
    for hit in hits:
        spec = next((f for f in schema.fields if f.name == hit.owner), None)
        if spec is None:
            continue
        needs_region = hit.generic or (spec.section is not None and spec.opens_section is None)
        if needs_region and not any(r.holds(hit) for r in regions.get(spec.section or "", [])):
            continue
        place = _value_after(hit, hits_by_seg)
        if place is None:
            seg = hit.segment
            if _unreadable_after(hit, hits_by_seg):
                continue  # a value was printed after the label, but OCR read no letter of it
            under = below(segments, seg, left=seg.left, right=max(seg.right, seg.left + 1))
            if under is None or _ENUMERATOR.match(under.text):
                continue  # the next item of a list
            begin = 0
            if _label_goes_on(under.text):
                # the rest of a label broken at the line's end: this field's label ("Vào sổ
                # cấp giấy chứng nhận" / "số: H71344") or another one ("…, địa chỉ" /
                # "thường trú: như trên"), whose value this is not
                begin = under.text.index(":") + 1
                whole = f"{seg.text[hit.start : hit.end]} {under.text[: begin - 1]}"
                if not _is_label_of(spec, whole):
                    continue
            under_hits = hits_by_seg.get(under.index, [])
            end = min((h.start for h in under_hits if h.start >= begin), default=len(under.text))
            if end <= begin or not any(c.isalnum() for c in under.text[begin:end]):
                continue
            place = (under, begin, end)
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
        found[spec.name].append(
            Candidate(
                spec.name, raw.strip(), tuple(words), hit.score, seg.index, next_line, seg.page
            )
        )
    return found
