"""Body text of administrative documents: paragraphs by kind, and the appendix page.

Page breaks are decided from estimated line counts (characters per line), never from font
metrics, so the pages of a document (hence its truth) do not depend on the fonts installed.
"""

from __future__ import annotations

import datetime as dt
import math

from samples import admin_text as tx
from samples.admin_issuer import Issuer
from samples.content import Ctx, make_person, nfc, text
from samples.layout import Block, Para, Run, Spacer, Table
from samples.vntext import capitalize, group_thousands

LINE_CHARS = 86


def estimate(s: str, scale: float = 1.0, chars: int = LINE_CHARS) -> float:
    """Estimated printed lines of a paragraph (page breaks must not depend on the fonts)."""
    return math.ceil(len(s) * scale / chars) + 0.3


def paragraph(s: str, *, italic: bool = False, lead: str = "") -> tuple[Block, float]:
    runs = ((Run(lead, bold=True),) if lead else ()) + (Run(s, italic=italic),)
    return Para(runs, align="justify", indent_mm=10.0, before=0.25), estimate(lead + s)


class Filler:
    """Fills the templates: document-wide values plus numbers drawn afresh per sentence."""

    def __init__(self, ctx: Ctx, values: dict[str, str], year: int) -> None:
        self.ctx, self.values, self.year = ctx, values, year
        self._deck: list[str] = []

    def usable(self, templates: tuple[str, ...]) -> list[str]:
        """The templates a document of this year can say (no later law, no later plan)."""
        return [t for t in templates if tx.fits(t, self.year)]

    def sentence(self) -> str:
        """The next body sentence: all are used once before any comes again."""
        if not self._deck:
            usable = self.usable(tx.SENTENCES)
            self._deck = self.ctx.rng.sample(usable, len(usable))
        return self(self._deck.pop())

    def __call__(self, template: str) -> str:
        r = self.ctx.rng
        n1 = r.randint(120, 4800)
        money = r.randint(2, 900) * 10_000_000
        extra = {
            "n1": group_thousands(n1),
            "n2": group_thousands(n1 - r.randint(0, n1 // 20)),
            "pct": f"{r.randint(850, 1000) / 10:.1f}".replace(".", ","),
            "money": group_thousands(money),
            "n": str(r.randint(2, 30)),
        }
        return nfc(template.format(**{**self.values, **extra}))


def body_paragraphs(
    ctx: Ctx,
    kind: tx.Kind,
    iss: Issuer,
    fill: Filler,
    summary: str,
    target: float,
    when: dt.date,
    collective: bool,
) -> list[tuple[Block, float]]:
    """The body paragraphs of ``kind``, about ``target`` lines long, with their estimates.

    ``collective``: the body decides as a whole (signed TM.), not its head."""
    out: list[tuple[Block, float]] = []

    def more(numbered: bool, budget: float) -> None:
        spent, k = 0.0, 1
        while spent < budget:
            s = " ".join(fill.sentence() for _ in range(ctx.rng.randint(1, 3)))
            out.append(paragraph(f"{k}. {s}" if numbered else s))
            spent += out[-1][1]
            k += 1

    if kind.abbr in ("QĐ", "NQ"):
        decider = f"{iss.collective} {iss.unit.upper()}" if collective else iss.decider
        out.append((text(decider, bold=True, align="center", before=0.6), 1.5))
        bases = [b for y, b in tx.BASES if y <= when.year]
        for b in sorted(ctx.rng.sample(range(len(bases)), ctx.rng.randint(2, 4))):
            out.append(paragraph(bases[b], italic=True))
        if kind.abbr == "QĐ":
            out.append(paragraph(fill(ctx.pick(tx.PROPOSAL)), italic=True))
        verb = "QUYẾT ĐỊNH:" if kind.abbr == "QĐ" else "QUYẾT NGHỊ:"
        out.append((text(verb, bold=True, align="center", before=0.5), 1.5))
        main = capitalize(summary.removeprefix("Về việc ").removeprefix("Về "))
        out.append(paragraph(f"{main}, với các nội dung chủ yếu sau:", lead="Điều 1. "))
        more(True, max(3.0, target - sum(c for _, c in out)))
        if kind.abbr == "QĐ":
            out.append(paragraph("Quyết định này có hiệu lực kể từ ngày ký.", lead="Điều 2. "))
            out.append(
                paragraph(
                    "Chánh Văn phòng, Thủ trưởng các cơ quan, đơn vị có liên quan "
                    "chịu trách nhiệm thi hành Quyết định này./.",
                    lead="Điều 3. ",
                )
            )
        else:
            out.append(
                paragraph(
                    fill("Giao Ủy ban nhân dân {unit} tổ chức thực hiện Nghị quyết này."),
                    lead="Điều 2. ",
                )
            )
            out.append(
                paragraph("Nghị quyết này có hiệu lực kể từ ngày thông qua./.", lead="Điều 3. ")
            )
        return out
    opener = tx.OPENERS.get(kind.abbr)
    if opener:
        out.append(paragraph(fill(ctx.pick(fill.usable(opener)))))
    if kind.abbr == "GM":
        hour = ctx.rng.choice((7, 8, 9, 13, 14))
        for lab, val in (
            ("Thời gian", f"{hour} giờ 00 phút, ngày {{next}}"),
            ("Địa điểm", "Hội trường {body}"),
            ("Thành phần", "Lãnh đạo các cơ quan, đơn vị có liên quan"),
        ):
            out.append(paragraph(fill(val), lead=f"- {lab}: "))
    elif kind.abbr in tx.SECTIONS:
        heads = tx.SECTIONS[kind.abbr]
        for i, h in enumerate(heads):
            out.append((text(h, bold=True, before=0.3, indent=10.0), 1.3))
            more(i == 1, target / len(heads))
    else:
        more(kind.abbr in ("", "CT", "TB"), target)
    closing = tx.CLOSINGS.get(kind.abbr)
    if closing:
        out.append(paragraph(fill(closing)))
    return out


def appendix(
    ctx: Ctx,
    kind: tx.Kind,
    number: str,
    symbol: str,
    hand_num: bool,
    hand_day: bool,
    day: str,
    when: dt.date,
    iss: Issuer,
) -> list[Block]:
    title, heads = ctx.rng.choice(tx.APPENDIX_TITLES)
    lead = ctx.pick(("Phụ lục", "PHỤ LỤC", "Phụ lục I"))
    ref: list[Run] = [Run(f"(Kèm theo {kind.name} số ", italic=True)]
    ref += (
        [Run(number, hand=True), Run(f"/{symbol} ngày ", italic=True)]
        if hand_num
        else [Run(f"{number}/{symbol} ngày ", italic=True)]
    )
    tail = f"/{when.month:02d}/{when.year} của {iss.sentence})"
    ref += (
        [Run(day, hand=True), Run(tail, italic=True)]
        if hand_day
        else [Run(f"{when.day:02d}{tail}", italic=True)]
    )
    rows: list[tuple[tuple[Para, ...], ...]] = [
        tuple((text(h, bold=True, align="center", scale=0.9),) for h in heads)
    ]
    for i in range(ctx.rng.randint(4, 9)):
        if heads[1] == "Họ và tên":
            who = make_person(ctx, None, dt.date(1965, 1, 1), dt.date(1998, 1, 1)).title_name
            cells = (
                who,
                f"{ctx.pick(tx.POSTS)} {iss.short}",
                ctx.pick(tx.ROLES) if heads[3] == "Nhiệm vụ" else "Giấy khen",
            )
        else:
            cells = (
                ctx.pick(
                    (
                        "Đăng ký khai sinh",
                        "Chứng thực bản sao từ bản chính",
                        "Đăng ký kết hôn",
                        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
                        "Đăng ký hộ kinh doanh",
                        "Đăng ký biến động đất đai",
                    )
                ),
                ctx.pick(tx.FIELDS_OF_WORK),
                ctx.pick(("Một cửa", "Trực tuyến", "-")),
            )
        rows.append(
            (
                (text(str(i + 1), align="center", scale=0.9),),
                *((text(c, scale=0.9),) for c in cells),
            )
        )
    return [
        text(lead, bold=True, align="center"),
        text(title, bold=True, align="center"),
        Para(tuple(ref), align="center"),
        Spacer(4),
        Table((0.08, 0.4, 0.32, 0.2), tuple(rows), min_row_mm=8),
    ]
