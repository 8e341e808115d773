"""Pages of no extractable type: notices and invitations, blank pages, foreign letters.

See :mod:`samples.doctypes` for the contract every builder follows.
"""

from __future__ import annotations

import datetime as dt

from samples import data
from samples.content import (
    LATEST,
    Ctx,
    Document,
    FieldValue,
    Office,
    commune_office,
    header,
    make_person,
    make_style,
    page,
    pick_place,
    place_date,
    recipient_items,
    recipient_lines,
    recipients_value,
    signature_block,
    signer_name,
    text,
    title_block,
)
from samples.layout import (
    Block,
    Column,
    Columns,
    Para,
    Run,
    SignatureSpace,
    Spacer,
)
from samples.vntext import (
    format_date,
    numeric_date,
)


def unknown_notice(ctx: Ctx) -> Document:
    """A commune notice or invitation in the Decree 30 layout: an administrative document
    (it was ``unknown`` before that type existed; the kind keeps its name so that the bench
    mix and every seed's other documents stay as they were)."""
    place = pick_place(ctx)
    d = ctx.date_between(dt.date(2015, 1, 1), LATEST)
    office = commune_office(ctx, place, d)
    invite = ctx.chance(0.4)
    number = f"{ctx.rng.randint(1, 300)}/{'GM' if invite else 'TB'}-UBND"
    blocks: list[Block] = [header(ctx, office, number, place_date(office.date_place, d, ctx))]
    summary = None
    unit = office.long_name.removeprefix("Ủy ban nhân dân ")
    if invite:
        blocks += title_block(["GIẤY MỜI"])
        summary = ctx.pick(
            (
                "Về việc dự buổi làm việc về công tác cải cách hành chính",
                f"Dự hội nghị triển khai nhiệm vụ năm {d.year}",
                "Về việc dự họp rà soát hồ sơ đất đai",
            )
        )
        blocks.append(text(summary, bold=True, align="center"))
        guest = make_person(ctx, None, dt.date(1950, 1, 1), dt.date(2000, 1, 1))
        blocks.append(text(f"Kính gửi: {guest.honorific} {guest.title_name}", align="center"))
        meet = d + dt.timedelta(days=ctx.rng.randint(2, 10))
        blocks.append(
            Para(
                (
                    Run(
                        f"Ủy ban nhân dân {unit} trân trọng kính mời {guest.honorific.lower()} "
                        f"đến dự buổi làm việc vào lúc {ctx.rng.randint(7, 15)} giờ 00 phút, "
                        f"{format_date(meet, 'words')} tại Hội trường Ủy ban nhân dân."
                    ),
                ),
                align="justify",
                indent_mm=10,
                before=0.5,
            )
        )
    else:
        blocks += title_block(["THÔNG BÁO"], None)
        summary = ctx.pick(data.NOTICE_SUBJECTS)
        blocks.append(text(summary, bold=True, align="center"))
        blocks.append(Spacer(3))
        picked = sorted(ctx.rng.sample(range(len(data.NOTICE_SENTENCES)), ctx.rng.randint(3, 6)))
        for s in (data.NOTICE_SENTENCES[i] for i in picked):  # keep the letter's logical order
            s = s.format(
                year=d.year, unit=unit, date=numeric_date(d + dt.timedelta(days=15), ctx.rng)
            )
            blocks.append(Para((Run(s),), align="justify", indent_mm=10))
    signer = signer_name(ctx)
    items = recipient_items(ctx)
    blocks.append(
        signature_block(ctx, office.signer_titles, signer, seal=True, left=recipient_lines(items))
    )
    fields = _notice_truth(office, number, d, signer, items, summary)
    doc = Document(
        "administrative_document", fields, [page(blocks)], make_style(ctx.rng), office.seal, d
    )
    doc.handwritten = ()
    return doc


def _notice_truth(
    office: Office,
    number: str,
    d: dt.date,
    signer: str,
    items: list[str],
    summary: str | None,
) -> dict[str, FieldValue]:
    """The administrative document's fields of a commune notice, as printed."""
    authority = [t for t in office.signer_titles if t.startswith(("TM.", "KT.", "TL."))]
    fields: dict[str, FieldValue] = {
        "document_kind": "GIẤY MỜI" if "/GM-" in number else "THÔNG BÁO",
        "number": number,
        "issue_date": d.isoformat(),
        "place": office.date_place,
        "signer_position": office.signer_titles[-1],
        "signer_name": signer,
        "recipients": recipients_value(items),
    }
    if office.header[0] == "ỦY BAN NHÂN DÂN":
        fields["issuing_authority"] = " ".join(office.header)
    else:
        fields["parent_authority"] = office.header[0]
        fields["issuing_authority"] = office.header[1]
    if authority:
        fields["signer_authority_line"] = " ".join(authority)
    if summary is not None:
        fields["summary"] = summary
    return fields


def unknown_blank(ctx: Ctx) -> Document:
    """A blank page (a duplex back scanned on its own)."""
    d = ctx.date_between(dt.date(2015, 1, 1), LATEST)
    paper = "archival" if ctx.chance(0.3) else "white"
    return Document("unknown", {}, [page([], paper=paper)], make_style(ctx.rng), ("", ""), d)


def unknown_foreign(ctx: Ctx) -> Document:
    """A page of English or French prose (letters attached to dossiers)."""
    french = ctx.chance(0.4)
    d = ctx.date_between(dt.date(2015, 1, 1), LATEST)
    sentences = data.FRENCH_SENTENCES if french else data.ENGLISH_SENTENCES
    blocks: list[Block] = []
    city = ctx.pick(
        ("Hanoï", "Hô-Chi-Minh-Ville", "Da Nang")
        if french
        else ("Hanoi", "Ho Chi Minh City", "Da Nang", "Bac Giang")
    )
    months_en = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    months_fr = (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    )
    if french:
        dl = f"{city}, le {d.day} {months_fr[d.month - 1]} {d.year}"
    else:
        dl = f"{city}, {months_en[d.month - 1]} {d.day}, {d.year}"
    blocks.append(text(dl, align="right"))
    blocks += title_block([ctx.pick(data.FRENCH_TITLES if french else data.ENGLISH_TITLES)])
    picked = sorted(
        ctx.rng.sample(range(len(sentences) - 1), min(len(sentences) - 1, ctx.rng.randint(3, 6)))
    )
    chosen = [sentences[i] for i in picked] + [sentences[-1]]  # closing formula last
    body = chosen[:-1]
    paras = [body[i : i + 2] for i in range(0, len(body), 2)] + [chosen[-1:]]
    for group in paras:
        blocks.append(Para((Run(" ".join(group)),), align="justify", indent_mm=10, before=0.5))
    signer = make_person(ctx, None, dt.date(1960, 1, 1), dt.date(1995, 1, 1))
    blocks.append(
        Columns(
            (
                Column(0.5, ()),
                Column(
                    0.5,
                    (
                        text("Le directeur" if french else "Director", bold=True, align="center"),
                        SignatureSpace(20),
                        text(signer.title_name, align="center"),
                    ),
                ),
            ),
            before=1.0,
        )
    )
    return Document("unknown", {}, [page(blocks)], make_style(ctx.rng), ("", ""), d)
