"""Shared content pieces: people, places, issuing offices, headers and signature blocks.

A document builder (see :mod:`samples.doctypes`) draws every choice from the document's
``random.Random`` through a :class:`Ctx`, so the same seed gives the same document, and it
records each field value from the same variable it prints, so truth and print cannot drift.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from samples import data
from samples.layout import (
    FAMILIES,
    Align,
    Block,
    Column,
    Columns,
    Item,
    PageSpec,
    Para,
    Run,
    SignatureSpace,
    Spacer,
    Style,
    TabLine,
)
from samples.vntext import format_date, personal_id
from samples.wordings import signing_line

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO2 = "Độc lập - Tự do - Hạnh phúc"
# Units were merged on this date (two levels: province and commune; no districts).
TWO_LEVEL_FROM = dt.date(2025, 7, 1)
# Latest date any document carries; fixed so the truth does not depend on the day it is run.
LATEST = dt.date(2026, 6, 30)

FieldValue = str | int | float


def nfc(s: str) -> str:
    """NFC with single spaces: the form every truth string is stored in."""
    return " ".join(unicodedata.normalize("NFC", s).split())


@dataclass(slots=True)
class Document:
    """A built document: its truth (type, fields) and its pages to lay out."""

    doc_type: str
    fields: dict[str, FieldValue]
    pages: list[PageSpec]
    style: Style
    seal_text: tuple[str, str] = ("", "")
    date: dt.date = dt.date(2020, 1, 1)
    handwritten: tuple[str, ...] | None = None  # fields written by hand (admin documents)
    labels: dict[str, str] | None = None  # unseen wordings printed (--wordings unseen)
    placements: dict[str, str] | None = None  # unseen placements (--wordings unseen)


@dataclass(slots=True)
class Ctx:
    """The per-document random source plus the house style choices of that document."""

    rng: random.Random
    bold_values: bool = False
    variant: str | None = None  # forces a sub-variant (e.g. the land certificate era)
    # --wordings unseen: the second stream its choices come from (None in schema mode), the
    # kind being built, and the labels and placements chosen (see samples.wordings)
    wrng: random.Random | None = None
    kind: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    placements: dict[str, str] = field(default_factory=dict)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        return self.rng.choice(list(options))

    def date_between(self, lo: dt.date, hi: dt.date) -> dt.date:
        if hi < lo:
            hi = lo
        return dt.date.fromordinal(self.rng.randint(lo.toordinal(), hi.toordinal()))


def make_style(rng: random.Random, family: str | None = None, wide_margins: bool = False) -> Style:
    """Typography per document: font family, 12-14 pt, spacing and margins vary by office."""
    fam = family or rng.choices(FAMILIES, weights=(35, 15, 15, 20, 15))[0]
    margin = 20.0 if wide_margins else 15.0
    return Style(
        family=fam,
        body_pt=rng.choice((12.0, 12.5, 13.0, 13.0, 13.5, 14.0)),
        spacing=round(rng.uniform(1.15, 1.5), 2),
        margin_left_mm=round(rng.uniform(max(margin, 20.0), 35.0), 1),
        margin_right_mm=round(rng.uniform(margin, 20.0), 1),
        margin_top_mm=round(rng.uniform(margin, 25.0), 1),
        margin_bottom_mm=round(rng.uniform(margin, 25.0), 1),
    )


# ----------------------------------------------------------------------------- people


@dataclass(frozen=True, slots=True)
class Person:
    """A citizen: upper-case NFC name (as printed on forms), gender, birth date, 12-digit ID."""

    name: str
    title_name: str
    male: bool
    dob: dt.date
    pid: str

    @property
    def honorific(self) -> str:
        return "Ông" if self.male else "Bà"


def make_person(
    ctx: Ctx, male: bool | None, born_lo: dt.date, born_hi: dt.date, province3: str | None = None
) -> Person:
    """A realistic name; an ID whose province, century/gender and year digits agree."""
    rng = ctx.rng
    if male is None:
        male = rng.random() < 0.5
    fams, weights = zip(*data.FAMILY_NAMES, strict=True)
    family = rng.choices(fams, weights=weights)[0]
    middle = rng.choice(data.MALE_MIDDLE if male else data.FEMALE_MIDDLE)
    given = rng.choice(data.MALE_GIVEN if male else data.FEMALE_GIVEN)
    parts = [family, middle]
    if rng.random() < 0.15:
        extra = rng.choice(data.MALE_MIDDLE[3:] if male else data.FEMALE_MIDDLE[4:])
        if extra != middle:
            parts.append(extra)
    parts.append(given)
    title = nfc(" ".join(parts))
    dob = ctx.date_between(born_lo, born_hi)
    prov = province3 or rng.choice(data.ID_PROVINCE_CODES)
    return Person(title.upper(), title, male, dob, personal_id(prov, dob, male, rng))


# ----------------------------------------------------------------------------- places


@dataclass(frozen=True, slots=True)
class Place:
    """A commune with its district and province (old three-level structure)."""

    province: data.Province
    district: data.District
    commune: data.Commune

    @property
    def id_code(self) -> str:
        """The 3-digit province code used in personal IDs."""
        return "0" + self.province.code

    def commune_label(self, when: dt.date | None = None) -> str:
        """ "xã Tân Dĩnh"; towns (thị trấn) became communes in the July 2025 reform."""
        kind = self.commune.kind
        if when is not None and when >= TWO_LEVEL_FROM and kind == "thị trấn":
            kind = "xã"
        return f"{kind} {self.commune.name}"

    def commune_short(self) -> str:
        """Name used in the place-and-date line ("Tân Dĩnh, ngày ..."); wards by number use
        the district name."""
        if self.commune.name.isdigit():
            return self.district.name
        return self.commune.name


def pick_place(ctx: Ctx, province: data.Province | None = None) -> Place:
    prov = province or ctx.rng.choices(data.PROVINCES, weights=(24, 22, 14, 10, 7, 7, 6, 5, 5))[0]
    dist = ctx.rng.choice(prov.districts)
    return Place(prov, dist, ctx.rng.choice(dist.communes))


def province_label(name: str) -> str:
    kind = (
        "thành phố"
        if name in ("Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế")
        else "tỉnh"
    )
    return f"{kind} {name}"


def unit_path(place: Place, when: dt.date, ctx: Ctx, abbrev: bool = True) -> str:
    """ "xã Tân Dĩnh, huyện Lạng Giang, tỉnh Bắc Giang" (or two levels from July 2025).

    With ``abbrev``, one time in ten the units are abbreviated as clerks type them in
    addresses ("X. Tân Dĩnh, H. Lạng Giang, T. Bắc Giang"); office names never are.
    """
    commune = place.commune_label(when)
    if when >= TWO_LEVEL_FROM:
        return f"{commune}, {province_label(place.province.merged_into)}"
    district = f"{place.district.kind} {place.district.name}"
    province = f"{place.province.kind} {place.province.name}"
    if abbrev and ctx.chance(0.1):
        commune = commune.replace("thị trấn", "TT.").replace("xã", "X.").replace("phường", "P.")
        district = district.replace("huyện", "H.").replace("quận", "Q.")
        district = district.replace("thị xã", "TX.").replace("thành phố", "TP.")
        province = province.replace("tỉnh", "T.").replace("thành phố", "TP.")
    return f"{commune}, {district}, {province}"


def address(ctx: Ctx, place: Place, when: dt.date) -> str:
    """A full address: village or street part, then the administrative units."""
    rng = ctx.rng
    urban = place.commune.kind != "xã" and rng.random() < 0.7
    if urban:
        street = rng.choice(place.province.streets)
        styles = (
            f"Số {rng.randint(1, 220)} đường {street}",
            f"Số {rng.randint(1, 150)}, ngõ {rng.randint(2, 300)}, phố {street}",
            f"Số {rng.randint(1, 90)}/{rng.randint(1, 40)} đường {street}",
        )
        first = rng.choice(styles)
    else:
        first = rng.choice(place.commune.villages)
    return f"{first}, {unit_path(place, when, ctx)}"


# ----------------------------------------------------------------------------- offices


@dataclass(frozen=True, slots=True)
class Office:
    """An issuing body: header lines, the name used in sentences, seal text, date place."""

    header: tuple[str, ...]
    long_name: str
    seal: tuple[str, str]
    date_place: str
    signer_titles: tuple[str, ...]


def commune_office(ctx: Ctx, place: Place, when: dt.date) -> Office:
    """The commune People's Committee (civil status, notices, most receipts)."""
    cu = place.commune_label(when).upper()
    du = f"{place.district.kind} {place.district.name}".upper()
    two = when >= TWO_LEVEL_FROM
    parent = province_label(place.province.merged_into).upper() if two else du
    variant = ctx.rng.randrange(3)
    if variant == 0:
        header: tuple[str, ...] = ("ỦY BAN NHÂN DÂN", cu)
    elif variant == 1:
        header = (f"UBND {parent}", f"UBND {cu}")
    else:
        header = (parent, f"ỦY BAN NHÂN DÂN {cu}")
    long_name = f"Ủy ban nhân dân {unit_path(place, when, ctx, abbrev=False)}"
    ring = f"ỦY BAN NHÂN DÂN {cu}"
    low = f"T. {place.province.merged_into.upper()}" if two else f"{_abbr(du)}"
    options: tuple[tuple[str, ...], ...] = (
        ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
        ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
        ("CHỦ TỊCH",),
    )
    titles = ctx.rng.choice(options)
    return Office(header, long_name, (f"{ring} * {low}", ""), place.commune_short(), titles)


def _abbr(unit_upper: str) -> str:
    for full, short in (
        ("HUYỆN ", "H. "),
        ("QUẬN ", "Q. "),
        ("THỊ XÃ ", "TX. "),
        ("THÀNH PHỐ ", "TP. "),
        ("TỈNH ", "T. "),
    ):
        if unit_upper.startswith(full):
            return short + unit_upper[len(full) :]
    return unit_upper


def district_office(ctx: Ctx, place: Place, when: dt.date, department: str | None) -> Office:
    """The district People's Committee or one of its departments (before July 2025); from
    July 2025 the province takes over (districts no longer exist)."""
    two = when >= TWO_LEVEL_FROM
    du = (
        province_label(place.province.merged_into)
        if two
        else f"{place.district.kind} {place.district.name}"
    ).upper()
    if department:
        header: tuple[str, ...] = (f"UBND {du}", department)
        head = department.split()[0]
        dept_titles: tuple[tuple[str, ...], ...] = (
            (f"TRƯỞNG {head}",),
            (f"KT. TRƯỞNG {head}", f"PHÓ TRƯỞNG {head}"),
        )
        titles = ctx.rng.choice(dept_titles)
        ring = f"{department} * {_abbr(du)}"
    else:
        header = ("ỦY BAN NHÂN DÂN", du) if ctx.chance(0.6) else (f"ỦY BAN NHÂN DÂN {du}",)
        ubnd_titles: tuple[tuple[str, ...], ...] = (
            ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
            ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
        )
        titles = ctx.rng.choice(ubnd_titles)
        ring = f"ỦY BAN NHÂN DÂN {du} * {_abbr(province_label(place.province.name).upper())}"
    date_place = place.province.merged_into if two else place.district.name
    unit = (
        province_label(place.province.merged_into)
        if two
        else f"{place.district.kind} {place.district.name}"
    )
    return Office(header, nfc(f"Ủy ban nhân dân {unit}"), (ring, ""), date_place, titles)


def province_office(ctx: Ctx, place: Place, department: str) -> Office:
    """A provincial department (Sở), e.g. natural resources for land certificates;
    ``department`` is its name in sentence case ("Sở Tài nguyên và Môi trường")."""
    pl = province_label(place.province.name)
    header = (f"UBND {pl.upper()}", department.upper())
    so_titles: tuple[tuple[str, ...], ...] = (("GIÁM ĐỐC",), ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"))
    titles = ctx.rng.choice(so_titles)
    return Office(
        header,
        nfc(f"{department} {pl}"),
        (f"{department.upper()} * {_abbr(pl.upper())}", ""),
        place.province.name,
        titles,
    )


# ----------------------------------------------------------------------------- blocks


def lv(ctx: Ctx, label: str, value: str, indent: float = 0.0, tail: str = "") -> Para:
    """A "label: value" line; values are bold on some offices' forms."""
    runs = [Run(f"{label}: "), Run(value, bold=ctx.bold_values)]
    if tail:
        runs.append(Run(tail))
    return Para(tuple(runs), indent_mm=indent, hang_mm=indent + 5, align="left")


def text(
    s: str,
    *,
    bold: bool = False,
    italic: bool = False,
    align: Align = "left",
    scale: float = 1.0,
    before: float = 0.0,
    indent: float = 0.0,
    hang: float = 0.0,
    rule: float = 0.0,
    fit: bool = False,
) -> Para:
    """A single-style paragraph."""
    return Para(
        (Run(s, bold, italic),),
        align=align,
        scale=scale,
        indent_mm=indent,
        hang_mm=hang,
        before=before,
        rule=rule,
        fit=fit,
    )


def tab_fields(ctx: Ctx, pairs: list[tuple[str, str]], stops: tuple[float, ...]) -> TabLine:
    """Several short label: value pairs on one line at tab stops ("Giới tính: Nam  Dân tộc:")."""
    cells = tuple(
        (stop, (Run(f"{lab}: "), Run(val, bold=ctx.bold_values)))
        for stop, (lab, val) in zip(stops, pairs, strict=False)
    )
    return TabLine(cells)


def place_date(office_place: str, d: dt.date, ctx: Ctx, field: str | None = None) -> str:
    """ "Tân Dĩnh, ngày 15 tháng 3 năm 2023" (with or without leading zeros); ``field`` names
    the field whose only printing it is (unseen wordings may print it differently)."""
    style = ctx.pick(("words", "words", "words_pad"))
    if field is None:
        return f"{office_place}, {format_date(d, style)}"
    return signing_line(ctx, field, office_place, d, style)


def header(
    ctx: Ctx,
    office: Office | None,
    number: str | None,
    date_line: str | None,
    motto_scale: float | None = None,
    number_label: str = "Số",
) -> Columns:
    """The national header: issuing body on the left, motto on the right (Decree 30/2020).

    Without an office (citizens' forms) the motto is centred on its own.
    """
    ms = motto_scale if motto_scale is not None else ctx.rng.choice((0.92, 0.96, 1.0))
    motto: list[Item] = [
        text(MOTTO, bold=True, align="center", scale=ms, fit=True),
        text(MOTTO2, bold=True, align="center", scale=ms + 0.04, rule=1.0, fit=True),
    ]
    if date_line:
        motto.append(text(date_line, italic=True, align="center", before=0.45, fit=True))
    if office is None:
        return Columns((Column(1.0, tuple(motto)),))
    left: list[Item] = []
    agency_scale = ctx.rng.choice((0.92, 0.96, 1.0))
    for i, line in enumerate(office.header):
        last = i == len(office.header) - 1
        left.append(
            text(
                line,
                bold=last,
                align="center",
                scale=agency_scale,
                rule=0.35 if last else 0.0,
                fit=True,
            )
        )
    if number:
        left.append(text(f"{number_label}: {number}", align="center", before=0.45))
    frac = ctx.rng.uniform(0.38, 0.44)
    return Columns((Column(frac, tuple(left)), Column(1.0 - frac, tuple(motto))))


def title_block(
    lines: list[str], subtitle: str | None = None, before: float = 1.2, scale: float = 1.25
) -> list[Block]:
    """Centred bold title (several lines for the long land certificate titles)."""
    out: list[Block] = []
    for i, line in enumerate(lines):
        out.append(
            text(line, bold=True, align="center", scale=scale, before=before if i == 0 else 0.0)
        )
    if subtitle:
        out.append(text(subtitle, italic=True, align="center"))
    out.append(Spacer(3.0))
    return out


def signature_block(
    ctx: Ctx,
    titles: tuple[str, ...],
    signer: str,
    *,
    seal: bool,
    note: str | None = None,
    date_line: str | None = None,
    left: tuple[Item, ...] = (),
    before: float = 1.0,
) -> Columns:
    """Signer block on the right (titles, optional note, signature, name); recipients or
    another signer on the left."""
    right: list[Item] = []
    if date_line:
        right.append(text(date_line, italic=True, align="center", fit=True))
    for t in titles:
        right.append(text(t, bold=True, align="center"))
    if note:
        right.append(text(note, italic=True, align="center", scale=0.9))
    right.append(SignatureSpace(ctx.rng.uniform(20, 28), seal=seal))
    right.append(text(signer, bold=True, align="center"))
    frac = ctx.rng.uniform(0.42, 0.5)
    return Columns((Column(frac, left), Column(1.0 - frac, tuple(right))), before=before)


def recipients(ctx: Ctx) -> tuple[Item, ...]:
    """ "Nơi nhận:" list, small, at the bottom left of official letters."""
    return recipient_lines(recipient_items(ctx))


def recipient_lines(items: Sequence[str]) -> tuple[Item, ...]:
    """The printed "Nơi nhận:" block of ``items`` ("- Như trên;")."""
    out: list[Item] = [Para((Run("Nơi nhận:", bold=True, italic=True),), scale=0.85)]
    out += [text(i, scale=0.8) for i in items]
    return tuple(out)


def recipients_value(items: Sequence[str]) -> str:
    """The truth of a "Nơi nhận" list: items without "- " and their ";" / ".", joined."""
    return "; ".join(i.removeprefix("- ").rstrip(";.") for i in items)


def recipient_items(ctx: Ctx) -> list[str]:
    """A small office's recipients ("- Như trên;", …, "- Lưu: VT.")."""
    items = ["- Như trên;", "- Lưu: VT."]
    if ctx.chance(0.5):
        items.insert(
            1,
            ctx.pick(
                (
                    "- Chủ tịch, các PCT UBND;",
                    "- Công chức Tư pháp - Hộ tịch;",
                    "- Văn phòng HĐND và UBND;",
                )
            ),
        )
    return items


def page(
    blocks: Sequence[Block],
    bottom: Sequence[Block] | None = None,
    paper: str = "white",
    frame: bool = False,
) -> PageSpec:
    """A page spec from lists of blocks."""
    return PageSpec(tuple(blocks), tuple(bottom or ()), paper, frame)


# ----------------------------------------------------------------------------- shared by builders


def id_label(ctx: Ctx, when: dt.date) -> str:
    """Which ID label a form of that date uses ("Số CMND" before the CCCD era, ...)."""
    if when < dt.date(2016, 1, 1):
        return ctx.pick(("Số CMND", "CMND số", "Số định danh cá nhân"))
    return ctx.pick(
        (
            "Số CCCD",
            "CCCD số",
            "Số định danh cá nhân",
            "Số CMND/CCCD",
            "Giấy tờ tùy thân: CCCD số",
            "Số căn cước",
        )
    )


def ethnic_line(
    ctx: Ctx, person_male: bool | None, stops: tuple[float, ...], gender_label: str = "Giới tính"
) -> Block:
    """ "Giới tính: Nam  Dân tộc: Kinh  Quốc tịch: Việt Nam" on one tabbed line."""
    pairs = []
    if person_male is not None:
        pairs.append((gender_label, "Nam" if person_male else "Nữ"))
    pairs += [("Dân tộc", ctx.pick(data.ETHNICITIES)), ("Quốc tịch", "Việt Nam")]
    return tab_fields(ctx, pairs, stops)


def tab_stops(ctx: Ctx) -> tuple[float, ...]:
    """Tab stops (mm) of a three-cell line; each office's template sets them differently."""
    a = ctx.rng.uniform(52, 62)
    return (0.0, a, a + ctx.rng.uniform(42, 50))


def signer_name(ctx: Ctx) -> str:
    """The official who signs, printed in title case under the signature."""
    return make_person(ctx, None, dt.date(1965, 1, 1), dt.date(1990, 1, 1)).title_name


def reg_number(ctx: Ctx, year: int) -> str:
    """A civil status registration number as printed after "Số:" ("125/2023", "07/2023")."""
    n = ctx.rng.randint(1, 480)
    return ctx.pick((f"{n}/{year}", f"{n:02d}/{year}", f"{n}"))
