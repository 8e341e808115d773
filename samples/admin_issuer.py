"""Issuing bodies of administrative documents and who signs for them (Decree 30/2020).

People's Committees (councils for resolutions) of a province, district or commune, and the
departments of a province (Sở) or district (Phòng); districts are gone from July 2025. Each
comes with the lines it prints, its symbol abbreviation, its names in sentences, its seal and
the signers' titles (TM. = on behalf of the collective body, KT. = deputy signing for the head,
TL. = by delegation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from samples import admin_text as tx
from samples.content import TWO_LEVEL_FROM, Ctx, Place, nfc, province_label
from samples.vntext import capitalize


@dataclass(frozen=True, slots=True)
class Issuer:
    """The issuing body as printed and as named in sentences, with its signers and seal."""

    parent: str | None  # superior body line ("UBND TỈNH BẮC GIANG")
    body: tuple[str, ...]  # issuing body lines ("ỦY BAN NHÂN DÂN", "HUYỆN LẠNG GIANG")
    abbr: str  # in the symbol: "UBND", "STP"
    place: str  # of the date line
    sentence: str  # "Ủy ban nhân dân huyện Lạng Giang"
    short: str  # "UBND huyện"
    level: str  # "huyện"
    unit: str  # "huyện Lạng Giang"
    head: str  # "CHỦ TỊCH"
    deputy: str  # "PHÓ CHỦ TỊCH"
    collective: str | None  # "ỦY BAN NHÂN DÂN" (signs TM.), None for a single head
    decider: str  # who decides in a decision by the head ("CHỦ TỊCH ỦY BAN NHÂN DÂN …")
    seal: str
    parent_body: str  # the superior in sentences


def split_name(name: str) -> tuple[str, ...]:
    """A long body name on two lines, broken before "VÀ" as offices print it."""
    if len(name) > 22 and " VÀ " in name:
        a, b = name.split(" VÀ ", 1)
        return (a, f"VÀ {b}")
    return (name,)


def pick_issuer(ctx: Ctx, place: Place, when: dt.date, abbr: str) -> Issuer:
    """A People's Committee (council for a resolution) of a province, district or commune, or
    a provincial or district department; no districts from July 2025."""
    two = when >= TWO_LEVEL_FROM
    prov = place.province.merged_into if two else place.province.name
    pl = province_label(prov)
    dl = f"{place.district.kind} {place.district.name}"
    levels = [("province", 20.0), ("commune", 20.0)]
    if not two:
        levels.append(("district", 25.0))
    if abbr != "NQ":
        levels.append(("sở", 20.0))
        if not two:
            levels.append(("phòng", 15.0))
    names, weights = zip(*levels, strict=True)
    lvl = ctx.rng.choices(names, weights=weights)[0]
    if lvl == "sở":
        depts = [d for d in tx.PROVINCIAL_DEPTS if d[1] != "STNMT" or when < dt.date(2025, 3, 1)]
        name, dabbr = ctx.rng.choice(depts)
        return _department(name, dabbr, pl, prov, "tỉnh", "GIÁM ĐỐC")
    if lvl == "phòng":
        name, dabbr = ctx.rng.choice(tx.DISTRICT_DEPTS)
        return _department(name, dabbr, dl, place.district.name, place.district.kind, "TRƯỞNG")
    council = abbr == "NQ"
    coll = (
        "HỘI ĐỒNG NHÂN DÂN"
        if council
        else "UỶ BAN NHÂN DÂN"
        if when.year < 2018 and ctx.chance(0.15)
        else "ỦY BAN NHÂN DÂN"
    )
    parent: str | None = None
    if lvl == "province":
        unit, level, where, above = pl, pl.split()[0], prov, "Chính phủ"
    elif lvl == "district":
        unit, level, where, above = dl, place.district.kind, place.district.name, pl
    else:
        unit = place.commune_label(when)
        level = unit.removesuffix(f" {place.commune.name}")
        where, above = place.commune_short(), pl if two else dl
        if ctx.chance(0.4):
            parent = f"UBND {above.upper()}"
    short = f"{'HĐND' if council else 'UBND'} {level}"
    decider = f"{coll} {unit.upper()}" if council else f"CHỦ TỊCH {coll} {unit.upper()}"
    return Issuer(
        parent,
        (coll, unit.upper()),
        "HĐND" if council else "UBND",
        where,
        nfc(f"{capitalize(coll.lower())} {unit}"),
        short,
        level,
        unit,
        "CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        coll,
        decider,
        f"{coll} {unit.upper()}",
        "Chính phủ" if above == "Chính phủ" else f"Ủy ban nhân dân {above}",
    )


def _department(name: str, abbr: str, unit: str, where: str, level: str, head: str) -> Issuer:
    """A Sở under the province's committee (head GIÁM ĐỐC) or a Phòng under the district's
    (head TRƯỞNG PHÒNG); ``name`` as in sentences ("Sở Tư pháp")."""
    up = name.upper()
    title = "TRƯỞNG PHÒNG" if head == "TRƯỞNG" else head
    return Issuer(
        f"UBND {unit.upper()}",
        split_name(up),
        abbr,
        where,
        f"{name} {unit}",
        name,
        level,
        unit,
        title,
        f"PHÓ {title}",
        None,
        f"{head} {up}",
        f"{up} * {unit.upper()}",
        f"Ủy ban nhân dân {unit}",
    )


def signer_titles(ctx: Ctx, iss: Issuer, abbr: str) -> tuple[str, ...]:
    head, dep = iss.head, iss.deputy
    options: list[tuple[str, ...]] = [(head,), (f"KT. {head}", dep)]
    if iss.collective is not None:
        options += [(f"TM. {iss.collective}", head), (f"TM. {iss.collective}", f"KT. {head}", dep)]
    if abbr in ("", "TB", "GM") and iss.head != "TRƯỞNG PHÒNG" and abbr != "NQ":
        options.append((f"TL. {head}", "CHÁNH VĂN PHÒNG"))
    return ctx.rng.choice(options)
