"""Administrative documents (văn bản hành chính) in the layout of Decree 30/2020/NĐ-CP.

Page 1: the issuing body top left (superior body, issuing body in bold capitals, a short rule,
"Số: 87/QĐ-UBND", for a công văn the "V/v …" summary under it, sometimes an urgency stamp),
the motto and the place-and-date line top right; the kind in bold capitals with its summary;
the body; on the last page of the body the recipients ("Nơi nhận:") bottom left and the signer
top right of them: authority lines (TM./KT./TL.), position, signature under a red seal, name.
Sometimes an appendix page follows. The number and the day (sometimes the month) are often
written by hand into the printed blanks (:class:`~samples.layout.Run` ``hand``).

Fields: document_kind, number, issue_date, place, issuing_authority, parent_authority (only
with a superior line), summary, signer_authority_line (only with TM./KT./… lines),
signer_position, signer_name (mixed case, as printed), recipients, urgency (only when
stamped); :attr:`~samples.content.Document.handwritten` lists the fields written by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from samples import admin_text as tx
from samples.admin_body import Filler, appendix, body_paragraphs, estimate
from samples.admin_issuer import Issuer, pick_issuer, signer_titles
from samples.content import (
    LATEST,
    MOTTO,
    MOTTO2,
    Ctx,
    Document,
    FieldValue,
    make_person,
    make_style,
    page,
    pick_place,
    signature_block,
    signer_name,
    text,
)
from samples.layout import Block, Column, Columns, Item, Para, Run, Spacer, Stamp
from samples.vntext import capitalize

PAGE_LINES = 47.0  # body lines a page holds, estimated from characters (font-independent)


def _date_runs(
    place: str, d: dt.date, hand_day: bool, hand_month: bool, day: str
) -> tuple[Run, ...]:
    """ "Bắc Giang, ngày 05 tháng 02 năm 2025" (Decree 30: day < 10 and months 1-2 padded),
    italic, with the day and maybe the month left blank for the pen."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    if not hand_day:
        return (Run(f"{place}, ngày {day} tháng {month} năm {d.year}", italic=True),)
    runs = [Run(f"{place}, ngày ", italic=True), Run(day, hand=True)]
    if hand_month:
        runs += [Run(" tháng ", italic=True), Run(month, hand=True)]
        return (*runs, Run(f" năm {d.year}", italic=True))
    return (*runs, Run(f" tháng {month} năm {d.year}", italic=True))


@dataclass(frozen=True, slots=True)
class _Head:
    """What page 1's header prints: number, date, summary, and which parts are handwritten."""

    kind: tx.Kind
    number: str
    symbol: str
    summary: str
    when: dt.date
    day: str  # as written ("05", or "5" by a clerk's hand)
    hand_num: bool
    hand_day: bool
    hand_month: bool
    urgency: str | None


def _header(ctx: Ctx, iss: Issuer, h: _Head) -> tuple[list[Block], float]:
    """Issuing body | motto and date; then the kind and summary (a công văn has its "V/v"
    under the number). Returns the blocks and their estimated lines."""
    rng = ctx.rng
    scale = rng.choice((0.92, 0.96, 1.0))
    left: list[Item] = []
    if iss.parent:
        left.append(text(iss.parent, align="center", scale=scale, fit=True))
    for i, line in enumerate(iss.body):
        rule = rng.uniform(0.3, 0.5) if i == len(iss.body) - 1 else 0.0
        left.append(text(line, bold=True, align="center", scale=scale, fit=True, rule=rule))
    num_runs = (
        (Run("Số: "), Run(h.number, hand=True), Run(f"/{h.symbol}"))
        if h.hand_num
        else (Run(f"Số: {h.number}/{h.symbol}"),)
    )
    left.append(Para(num_runs, align="center", before=0.3))
    if not h.kind.title:
        left.append(text(h.summary, align="center", scale=0.9))
    if h.urgency:
        left.append(Stamp(h.urgency))
    date = _date_runs(iss.place, h.when, h.hand_day, h.hand_month, h.day)
    right: list[Item] = [
        text(MOTTO, bold=True, align="center", scale=scale, fit=True),
        text(MOTTO2, bold=True, align="center", scale=scale + 0.04, rule=1.0, fit=True),
        Para(date, align="center", before=0.45, fit=True),
    ]
    frac = rng.uniform(0.38, 0.44)
    out: list[Block] = [Columns((Column(frac, tuple(left)), Column(1 - frac, tuple(right))))]
    cost = 6.0 + (iss.parent is not None) + (h.urgency is not None) * 2
    if not h.kind.title:
        return out, cost + estimate(h.summary, chars=30)
    out.append(text(h.kind.title, bold=True, align="center", scale=1.1, before=1.2))
    summary = Para((Run(h.summary, bold=True),), align="center", rule=0.35)
    out.append(Columns((Column(0.1, ()), Column(0.8, (summary,)), Column(0.1, ()))))
    return out, cost + 3 + estimate(h.summary, chars=68)


def _addressees(ctx: Ctx, kind: tx.Kind, iss: Issuer, fill: Filler) -> tuple[Block | None, float]:
    """ "Kính gửi: …" of a công văn, tờ trình, giấy mời and some reports."""
    if kind.abbr not in ("", "TTr", "GM") and not (kind.abbr == "BC" and ctx.chance(0.5)):
        return None, 0.0
    to = [fill(a) for a in ctx.rng.sample(tx.ADDRESSEES, ctx.rng.randint(1, 3))]
    if kind.abbr in ("TTr", "BC"):
        to = [iss.parent_body]
    if len(to) == 1:
        return text(f"Kính gửi: {to[0]}.", align="center", before=0.8), 2.5
    items = tuple(
        text(f"- {a}{'.' if i == len(to) - 1 else ';'}", indent=2.0) for i, a in enumerate(to)
    )
    label = text("Kính gửi:", align="right")
    return Columns((Column(0.3, (label,)), Column(0.7, items)), before=0.8), 1.5 + len(to)


def _paginate(
    first: list[Block], cost: float, body: list[tuple[Block, float]], end: Block, end_cost: float
) -> list[list[Block]]:
    """Fill pages by estimated lines; pages after the first are numbered at the top; the
    signature block goes on the last page, with at least one paragraph before it."""
    pages: list[list[Block]] = [first]
    used = cost

    def new_page() -> None:
        pages.append([text(str(len(pages) + 1), align="center", scale=0.9)])

    for blk, c in body:
        if used + c > PAGE_LINES and len(pages[-1]) > 2:
            new_page()
            used = 1.5
        pages[-1].append(blk)
        used += c
    if used + end_cost > PAGE_LINES:
        carry = pages[-1].pop() if len(pages[-1]) > 3 else None
        new_page()
        if carry is not None:
            pages[-1].append(carry)
    pages[-1].append(end)
    return pages


def _recipients(ctx: Ctx, kind: tx.Kind, fill: Filler) -> tuple[list[str], tuple[Item, ...]]:
    """ "Nơi nhận:" items (for the truth) and their printed lines ("- …;", last "- Lưu: ….")."""
    items = ["Như Điều 3" if kind.abbr == "QĐ" else "Như trên"]
    items += [fill(r) for r in ctx.rng.sample(tx.RECIPIENTS, ctx.rng.randint(1, 4))]
    items.append(f"Lưu: VT, {ctx.pick(tx.DRAFTING_UNITS)}")
    printed: list[Item] = [Para((Run("Nơi nhận:", bold=True, italic=True),), scale=0.9)]
    printed += [
        text(f"- {it}{'.' if i == len(items) - 1 else ';'}", scale=0.8, hang=2.0)
        for i, it in enumerate(items)
    ]
    return items, tuple(printed)


def administrative_document(ctx: Ctx) -> Document:
    """A QUYẾT ĐỊNH, công văn, TỜ TRÌNH, … of a People's Committee, council or department."""
    rng = ctx.rng
    if ctx.variant is not None:  # "CV" or a kind abbreviation (the demo's)
        kind = next(k for k in tx.KINDS if k.abbr == ("" if ctx.variant == "CV" else ctx.variant))
    else:
        kind = rng.choices(tx.KINDS, weights=[k.weight for k in tx.KINDS])[0]
    place = pick_place(ctx)
    when = ctx.date_between(dt.date(2016, 1, 1), LATEST)
    iss = pick_issuer(ctx, place, when, kind.abbr)
    n = rng.choice((rng.randint(1, 9), rng.randint(10, 99), rng.randint(100, 3200)))
    if kind.abbr:
        symbol = f"{kind.abbr}-{iss.abbr}"
    else:
        symbol = iss.abbr if ctx.chance(0.25) else f"{iss.abbr}-{ctx.pick(tx.DRAFTING_UNITS)}"
    shown = ctx.variant is not None  # a demo document shows the handwriting
    hand_num = ctx.chance(0.7) or shown
    hand_day = (ctx.chance(0.85) if hand_num else ctx.chance(0.15)) or shown
    hand_month = hand_day and ctx.chance(0.15)
    day = f"{when.day:02d}"
    if hand_day and when.day < 10 and ctx.chance(0.3):
        day = str(when.day)  # the clerk leaves out the leading zero
    fill = Filler(ctx, _values(ctx, iss, place.commune.villages, when), when.year)
    summary = fill(ctx.pick(fill.usable(tx.SUBJECTS[kind.abbr])))
    urgency = ctx.pick(tx.URGENCY) if ctx.chance(0.12) else None
    head = _Head(
        kind, f"{n:02d}", symbol, summary, when, day, hand_num, hand_day, hand_month, urgency
    )
    first, cost = _header(ctx, iss, head)
    to, to_cost = _addressees(ctx, kind, iss, fill)
    if to is not None:
        first.append(to)
    first.append(Spacer(2))
    target = rng.choices((10.0, 16.0, 26.0, 50.0, 80.0), weights=(35, 30, 15, 14, 6))[0]
    titles = signer_titles(ctx, iss, kind.abbr)
    body = body_paragraphs(ctx, kind, iss, fill, summary, target, when, titles[0].startswith("TM."))
    items, printed = _recipients(ctx, kind, fill)
    signer = signer_name(ctx)
    end = signature_block(ctx, titles, signer, seal=True, left=printed, before=0.8)
    end_cost = max(len(titles) + 6.0, 1 + 0.8 * len(items)) + 1
    pages = [page(b) for b in _paginate(first, cost + to_cost, body, end, end_cost)]
    if kind.abbr in ("QĐ", "KH", "NQ", "BC", "HD") and ctx.chance(0.2):
        pages.append(
            page(appendix(ctx, kind, head.number, symbol, hand_num, hand_day, day, when, iss))
        )
    fields: dict[str, FieldValue] = {
        "document_kind": kind.title or "CÔNG VĂN",
        "number": f"{head.number}/{symbol}",
        "issue_date": when.isoformat(),
        "place": iss.place,
        # today's tone placement, as the product writes it ("UỶ" printed on old documents)
        "issuing_authority": " ".join(iss.body).replace("UỶ", "ỦY"),
    }
    if iss.parent:
        fields["parent_authority"] = iss.parent
    fields["summary"] = summary
    if len(titles) > 1:
        fields["signer_authority_line"] = " ".join(titles[:-1]).replace("UỶ", "ỦY")
    fields.update(
        {"signer_position": titles[-1], "signer_name": signer, "recipients": "; ".join(items)}
    )
    if urgency:
        fields["urgency"] = urgency
    family = "TeX Gyre Termes" if ctx.chance(0.7) else None
    doc = Document(
        "administrative_document", fields, pages, make_style(rng, family), (iss.seal, ""), when
    )
    doc.handwritten = tuple(f for f, h in (("number", hand_num), ("issue_date", hand_day)) if h)
    return doc


def _values(ctx: Ctx, iss: Issuer, villages: tuple[str, ...], when: dt.date) -> dict[str, str]:
    """The document-wide values of the wording templates (see :mod:`samples.admin_text`)."""
    person = make_person(ctx, None, dt.date(1965, 1, 1), dt.date(1995, 1, 1))
    dept, dabbr = ctx.rng.choice(tx.DEPARTMENTS)
    prior = ctx.date_between(when - dt.timedelta(days=40), when)
    after = ctx.date_between(when + dt.timedelta(days=2), when + dt.timedelta(days=12))
    return {
        "unit": iss.unit,
        "body": iss.sentence,
        "short": iss.short,
        "level": iss.level,
        "year": str(when.year),
        "prev": str(when.year - 1),
        "month": str(when.month),
        "quarter": ctx.pick(tx.QUARTERS),
        "village": ctx.pick(villages),
        "person": f"{person.honorific.lower()} {person.title_name}",
        "dept": dept,
        "dept_cap": capitalize(dept),
        "dabbr": dabbr,
        "dept_head": ("Chánh " if dept.startswith("Văn phòng") else "Trưởng ") + dept,
        "u": ctx.pick(tx.DRAFTING_UNITS),
        "day": f"{prior.day:02d}/{prior.month:02d}/{prior.year}",
        "next": f"{after.day:02d}/{after.month:02d}/{after.year}",
        "parent_body": iss.parent_body,
        "to": iss.parent_body,
    }
