"""The zones of an administrative document in the layout fixed by Decree 30/2020/NĐ-CP.

A state document labels almost nothing: its fields are where the decree puts them. Top left
the issuing body (a superior body's line above it, if any) and "Số: 87/QĐ-UBND" (a công văn
adds "V/v …" under it); top right the national motto with "Quảng Ngãi, ngày 05 tháng 02
năm 2025" under it; centred, the kind ("QUYẾT ĐỊNH") and its summary; at the end of the
body "Nơi nhận:" bottom left and the signature block bottom right (:mod:`.signature`).
So the page is cut into those zones from the motto's position, and each zone gives its
field as a :class:`Candidate` read by the same normalisers and checks as labelled values.

The number and the day are often written by hand into the printed blanks; where OCR read
no digits there, the zone's :class:`Blank` says where to look again (the pipeline's second
recognizer) and the field goes to a clerk unless two readings agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from digitizer.understanding.extract import Candidate
from digitizer.understanding.layout import Segment, fold_text
from digitizer.understanding.places import place_names, respell_places
from digitizer.understanding.signature import read_signature
from digitizer.understanding.zones import (
    Blank,
    Line,
    Zones,
    as_candidate,
    is_caps,
    is_rule,
    join_lines,
    lines_of,
    rows,
    split_at,
    split_columns,
)

_MOTTO = "cong hoa xa hoi chu nghia viet nam"
_MOTTO2 = "doc lap - tu do - hanh phuc"
_MOTTO_MIN = 80.0
_TITLE_MIN = 86.0
# "Số:" as OCR reads it ("Số:", "Sô:", "S6 :"), then the number and symbol
_NUMBER_LINE = re.compile(r"^\s*s[o0ô6]\s*(?:[:;.]\s*|\s(?=[^/]{0,12}/))")
# number / symbol; the part before "/" may be a handwritten blank OCR could not read
_SYMBOL = re.compile(r"/\s*([A-ZĐÐa-z0-9.]+(?:\s*-\s*[A-ZĐÐa-z0-9.]+)*)")
_PLACE_DATE = re.compile(
    r"^(?P<place>[^\W\d][^,:;]{1,40}),\s*ng[^\W\d]{1,3}\s*[.,:]?\s*(?P<day>\S{0,5}?)\s*"
    r"th[^\W\d]{2,4}\s*[.,:]?\s*(?P<month>\S{0,4}?)\s*n[^\W\d]{1,2}m\s*[.,:]?\s*(?P<year>\d{4})"
)
_SUBJECT = re.compile(r"^\s*v\s*[/l1|]\s*v\b")  # "V/v", read "V/v", "Vív", "V1v"
# where the body starts under the summary: no summary line starts so
_BODY_STARTS = ("can cu", "kinh gui", "dieu 1", "xet de nghi")
_URGENCY = {"hoa toc": "HỎA TỐC", "thuong khan": "THƯỢNG KHẨN", "khan": "KHẨN"}
# the kind's abbreviation in the symbol (Decree 30, appendix III)
KIND_ABBREVIATIONS = {
    "QĐ": "QUYẾT ĐỊNH",
    "TTr": "TỜ TRÌNH",
    "CT": "CHỈ THỊ",
    "TB": "THÔNG BÁO",
    "BC": "BÁO CÁO",
    "KH": "KẾ HOẠCH",
    "NQ": "NGHỊ QUYẾT",
    "GM": "GIẤY MỜI",
    "HD": "HƯỚNG DẪN",
    "CTr": "CHƯƠNG TRÌNH",
    "PA": "PHƯƠNG ÁN",
    "ĐA": "ĐỀ ÁN",
    "BB": "BIÊN BẢN",
    "GUQ": "GIẤY ỦY QUYỀN",
    "QC": "QUY CHẾ",
    "QyĐ": "QUY ĐỊNH",
    "TC": "THÔNG CÁO",
    "CĐ": "CÔNG ĐIỆN",
    "DA": "DỰ ÁN",
    "GGT": "GIẤY GIỚI THIỆU",
    "KL": "KẾT LUẬN",
}
# the head words of a body's name (folded): a line of the top-left block opening with one
# begins a body (the superior body's line, then the issuer's)
_BODY_HEADS = (
    "uy ban",
    "ubnd",
    "hoi dong",
    "hdnd",
    "so ",
    "ban ",
    "phong ",
    "van phong",
    "trung tam",
    "chi cuc",
    "cuc ",
    "tong cuc",
    "bo ",
    "thanh tra",
    "cong an",
    "bo chi huy",
    "truong ",
    "benh vien",
    "vien ",
    "toa an",
    "chi nhanh",
    "doan ",
    "dang uy",
    "tinh uy",
    "huyen uy",
    "thanh uy",
    "mat tran",
    "kho bac",
)


def _motto_at(line: Line, motto: str = _MOTTO) -> int | None:
    """Offset where the national motto starts in ``line`` (None: not there)."""
    if len(line.folded) < len(motto) * 0.6:
        return None
    hit = fuzz.partial_ratio_alignment(motto, line.folded, score_cutoff=_MOTTO_MIN)
    if hit is None or hit.dest_end - hit.dest_start < len(motto) * 0.6:
        return None
    return hit.dest_start


def _header_page(lines: Sequence[Line]) -> tuple[int, Line, int] | None:
    """The first page with the motto, the motto's line and where it starts in it."""
    bottoms: dict[int, int] = {}
    for line in lines:
        bottoms[line.page] = max(bottoms.get(line.page, 0), line.bottom)
    # the motto's first line, else its second (a seal or a fold over the first)
    for motto in (_MOTTO, _MOTTO2):
        for line in lines:
            at = _motto_at(line, motto)
            if at is not None and line.top < 0.4 * bottoms[line.page]:
                return line.page, line, at
    return None


def title_of(line: Line, titles: Sequence[str]) -> str | None:
    """The kind a line names when it is nothing but a kind title ("QUYẾT ĐỊNH")."""
    text = line.folded.strip(" .:")
    best, best_score = None, 0.0
    for title in titles:
        score = fuzz.ratio(fold_text(title), text)
        if score >= _TITLE_MIN and score > best_score and is_caps(line.text):
            best, best_score = title, score
    return best


def read_zones(segments: Sequence[Segment], titles: Sequence[str]) -> Zones:
    """Every zone of a Decree 30 document that could be found (empty if not that layout)."""
    zones = Zones()
    lines = lines_of(segments)
    header = _header_page(lines)
    if header is None:
        return zones
    page, motto, at = header
    zones.motto = True
    page_lines = [ln for ln in lines if ln.page == page]
    if at > 3:  # OCR ran the left block's line into the motto's
        left_part, motto = split_at(motto, at)
        page_lines = [left_part if ln is header[1] else ln for ln in page_lines]
        page_lines.insert(page_lines.index(left_part) + 1, motto)
    split_x = motto.left - motto.height
    page_lines = split_columns(page_lines, split_x, motto.bottom + 6 * motto.height)
    title_line = next(
        (ln for ln in page_lines if ln.top > motto.bottom and title_of(ln, titles)), None
    )
    body_top = title_line.top if title_line is not None else _body_top(page_lines, motto)
    left = [ln for ln in page_lines if ln.right <= split_x + motto.height and ln.top < body_top]
    right = [ln for ln in page_lines if (ln.left + ln.right) / 2 >= split_x and ln.top < body_top]
    _read_left(zones, left)
    _read_place_date(zones, right)
    _read_urgency(zones, [ln for ln in page_lines if ln.top < body_top + 8 * motto.height])
    if title_line is not None:
        kind = title_of(title_line, titles)
        zones.add("document_kind", as_candidate("document_kind", title_line, 0.97, kind))
        zones.add("summary", _summary(page_lines, title_line))
    elif "summary" in zones.found:  # no title, a "V/v" summary: a công văn
        subject = zones.found["summary"][0]
        zones.add(
            "document_kind",
            Candidate(
                "document_kind", "CÔNG VĂN", subject.words[:1], 0.9, subject.order, "", subject.page
            ),
        )
    else:  # no title read: the symbol's abbreviation names the kind, for a clerk to confirm
        _kind_from_symbol(zones)
    read_signature(zones, [ln for ln in lines if ln.page >= page], split_x)
    return zones


def _kind_from_symbol(zones: Zones) -> None:
    number = zones.found.get("number")
    if not number:
        return
    code = number[0].raw.split("/", 1)[-1]
    kind = KIND_ABBREVIATIONS.get(code.split("-")[0]) if "-" in code else None
    if kind is not None:
        first = number[0]
        zones.add(
            "document_kind",
            Candidate("document_kind", kind, first.words, 0.6, first.order, "", first.page),
        )


def _body_top(page_lines: Sequence[Line], motto: Line) -> int:
    """Without a title, the header ends at "Kính gửi" or after the motto's block."""
    for ln in page_lines:
        if ln.top > motto.bottom and ln.folded.lstrip(" -").startswith("kinh gui"):
            return ln.top
    return motto.bottom + 8 * motto.height


def _read_left(zones: Zones, left: Sequence[Line]) -> None:
    """Issuing body (and superior body) lines, "Số: …", and a công văn's "V/v …"."""
    left = rows(left)
    number_at = next((i for i, ln in enumerate(left) if _NUMBER_LINE.match(ln.folded)), None)
    if number_at is None:
        return
    zones.symbol = True
    bodies = _bodies([ln for ln in left[:number_at] if is_caps(ln.text) and not is_rule(ln)])
    if bodies:
        issuer = bodies[-1]
        zones.add(
            "issuing_authority",
            as_candidate("issuing_authority", issuer, 0.95, respell_places(issuer.text)),
        )
        if len(bodies) > 1:
            parent = join_lines(bodies[:-1])
            zones.add(
                "parent_authority",
                as_candidate("parent_authority", parent, 0.9, respell_places(parent.text)),
            )
    _read_number(zones, left[number_at])
    subject = left[number_at + 1 :]
    if subject and _SUBJECT.match(subject[0].folded):
        summary = [subject[0]]
        for ln in subject[1:]:
            if ln.top - summary[-1].bottom > 1.2 * ln.height or is_rule(ln):
                break
            summary.append(ln)
        zones.add("summary", as_candidate("summary", join_lines(summary), 0.9))


def _bodies(lines: Sequence[Line]) -> list[Line]:
    """The top-left block's lines grouped into bodies: a superior body, then the issuer.

    A line opening with a body's head word ("ỦY BAN", "SỞ", "BAN", "UBND"…) begins a body;
    any other line carries on the one above ("TỈNH QUẢNG NGÃI" under "ỦY BAN NHÂN DÂN", or
    "XƯƠNG", the end of a name wrapped onto a second line).
    """
    groups: list[list[Line]] = []
    for ln in lines:
        if groups and not ln.folded.startswith(_BODY_HEADS):
            groups[-1].append(ln)
        else:
            groups.append([ln])
    return [join_lines(g) for g in groups]


def _read_number(zones: Zones, line: Line) -> None:
    m = _NUMBER_LINE.match(line.folded)
    assert m is not None
    rest = line.text[m.end() :]
    symbol = _SYMBOL.search(rest)
    if symbol is None:
        return
    digits = rest[: symbol.start()].strip(" .:_…")
    # a bold "Đ" is read "ĐÐ" (an Icelandic eth beside it): one Đ
    code = re.sub(r"\s+", "", symbol.group(1)).replace("Ð", "Đ").replace("ĐĐ", "Đ")
    value = f"{digits}/{code}"
    cand = as_candidate("number", line, 0.95, value, start=m.end())
    zones.add("number", cand)
    template = "{number}/" + code.replace("{", "").replace("}", "")
    zones.blanks["number"] = Blank(line.page, _box_of(line), {"number": digits}, template)


def _box_of(line: Line) -> tuple[int, int, int, int]:
    return line.left, line.top, line.right - line.left, line.bottom - line.top


def _read_place_date(zones: Zones, right: Sequence[Line]) -> None:
    for ln in right:
        m = _PLACE_DATE.search(ln.folded)
        if m is None:
            continue
        place = respell_places(ln.text[m.start("place") : m.end("place")].strip(), whole=True)
        # accents of a name no table holds cannot be checked: a clerk confirms them
        known = place_names().get(fold_text(place).lower()) == place
        score = 0.95 if known else 0.75
        zones.add("place", as_candidate("place", ln, score, place, 0, m.end("place")))
        day = ln.text[m.start("day") : m.end("day")]
        month = ln.text[m.start("month") : m.end("month")]
        value = f"{day.strip(' .,')}/{month.strip(' .,')}/{m.group('year')}"
        zones.add("issue_date", as_candidate("issue_date", ln, 0.95, value, start=m.end("place")))
        printed = {"day": day.strip(" .,"), "month": month.strip(" .,"), "year": m.group("year")}
        template = "{day}/{month}/{year}"
        zones.blanks["issue_date"] = Blank(ln.page, _box_of(ln), printed, template)
        return


def _read_urgency(zones: Zones, lines: Sequence[Line]) -> None:
    for ln in lines:
        key = re.sub(r"[^a-z ]", "", ln.folded).strip()
        if key in _URGENCY and is_caps(ln.text):
            zones.add("urgency", as_candidate("urgency", ln, 0.9, _URGENCY[key]))
            return


def _summary(page_lines: Sequence[Line], title: Line) -> Candidate | None:
    """The centred lines under the title, up to the body or a rule."""
    centre = title.left + (title.right - title.left) / 2
    width = max(ln.right for ln in page_lines) - min(ln.left for ln in page_lines)
    below = [ln for ln in page_lines if ln.top > title.bottom]
    rights = sorted(ln.right for ln in below) or [title.right]
    lefts = sorted(ln.left for ln in below) or [title.left]
    right_margin, left_margin = rights[int(0.9 * (len(rights) - 1))], lefts[len(lefts) // 10]
    taken: list[Line] = []
    for ln in page_lines:
        if ln.top <= title.top or ln is title:
            continue
        if sum(c.isalnum() for c in ln.text) < 4:  # a bold line's accents, read on their own
            continue
        previous = taken[-1] if taken else title
        # the summary's lines follow each other closely; a gap, a rule or the body ends it
        gap = (0.9 if taken else 2.5) * max(ln.height, 1)
        if ln.top - previous.bottom > gap or is_rule(ln) or len(taken) >= 4:
            break
        if ln.folded.lstrip(" -_").startswith(_BODY_STARTS):
            break
        if taken and is_caps(ln.text) != is_caps(taken[0].text):  # "ỦY BAN NHÂN DÂN TỈNH…"
            break
        if abs(ln.left + (ln.right - ln.left) / 2 - centre) > 0.1 * width:
            break
        # the body's first line: a capital, indented, running to the right margin
        indented = ln.left > left_margin + 0.02 * width
        full = ln.right >= right_margin - 0.02 * width
        if taken and ln.text[:1].isupper() and indented and full:
            break
        taken.append(ln)
    if not taken:
        return None
    return as_candidate("summary", join_lines(taken), 0.9)
