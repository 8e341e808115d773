"""Civil status documents: birth, marriage and death registration extracts.

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
    Person,
    address,
    commune_office,
    ethnic_line,
    header,
    id_label,
    lv,
    make_person,
    make_style,
    page,
    pick_place,
    place_date,
    recipients,
    reg_number,
    signature_block,
    signer_name,
    tab_fields,
    tab_stops,
    text,
    title_block,
    unit_path,
)
from samples.layout import (
    Block,
    Column,
    Columns,
    Item,
    SignatureSpace,
    Spacer,
)
from samples.vntext import (
    date_words,
    format_date,
    format_id,
    numeric_date,
    old_cmnd,
)
from samples.wordings import word


def birth_certificate(ctx: Ctx) -> Document:
    """GIẤY KHAI SINH (2016+ forms, which carry the child's personal ID)."""
    place = pick_place(ctx)
    dob = ctx.date_between(dt.date(2016, 1, 1), LATEST - dt.timedelta(days=60))
    reg = dob + dt.timedelta(days=ctx.rng.randint(1, 60))
    child = make_person(ctx, None, dob, dob, place.id_code)
    mother = make_person(ctx, False, dt.date(dob.year - 38, 1, 1), dt.date(dob.year - 19, 1, 1))
    father = make_person(ctx, True, dt.date(dob.year - 42, 1, 1), dt.date(dob.year - 21, 1, 1))
    office = commune_office(ctx, place, reg)
    number = reg_number(ctx, reg.year)
    in_header = ctx.chance(0.5)
    num_label = word(ctx, "registration_number", "Số")
    blocks: list[Block] = [
        header(ctx, office, number if in_header else None, None, number_label=num_label)
    ]
    blocks += title_block(["GIẤY KHAI SINH"], ctx.pick(("", "(Bản chính)", "(BẢN SAO)")) or None)
    if not in_header:
        blocks.append(
            tab_fields(ctx, [(num_label, number), ("Quyển số", f"01/{reg.year}")], (0.0, 70.0))
        )
    name_label = ctx.pick(("Họ, chữ đệm, tên", "Họ và tên", "Họ, chữ đệm và tên"))
    blocks.append(lv(ctx, word(ctx, "full_name", name_label), child.name))
    dob_label = word(ctx, "date_of_birth", "Ngày, tháng, năm sinh")
    blocks.append(lv(ctx, dob_label, numeric_date(dob, ctx.rng)))
    if ctx.chance(0.6):
        blocks.append(text(f"ghi bằng chữ: {date_words(dob)}", italic=True, indent=5, hang=5))
    blocks.append(ethnic_line(ctx, child.male, tab_stops(ctx), word(ctx, "gender", "Giới tính")))
    hospital = ctx.pick(
        (
            f"Trạm Y tế {place.commune_label(reg)}",
            f"Bệnh viện Đa khoa {place.province.kind} {place.province.name}",
            f"Trung tâm Y tế {place.district.kind} {place.district.name}",
        )
    )
    blocks.append(lv(ctx, "Nơi sinh", f"{hospital}, {unit_path(place, reg, ctx)}"))
    blocks.append(lv(ctx, "Quê quán", unit_path(pick_place(ctx), reg, ctx)))
    blocks.append(lv(ctx, word(ctx, "personal_id", "Số định danh cá nhân"), child.pid))
    home = address(ctx, place, reg)
    for who, p, name_field in (("mẹ", mother, "mother_name"), ("cha", father, "father_name")):
        sub: list[Block] = [
            lv(ctx, word(ctx, name_field, f"{name_label} người {who}"), p.name),
            tab_fields(
                ctx,
                [
                    ("Năm sinh", str(p.dob.year)),
                    ("Dân tộc", ctx.pick(data.ETHNICITIES)),
                    ("Quốc tịch", "Việt Nam"),
                ],
                tab_stops(ctx),
            ),
            lv(ctx, "Nơi cư trú", home),
        ]
        blocks += sub
    if ctx.chance(0.4):
        blocks.append(lv(ctx, "Người đi khai sinh", father.name, tail=f", CCCD số: {father.pid}"))
    blocks.append(lv(ctx, "Nơi đăng ký khai sinh", office.long_name))
    if ctx.chance(0.6):
        reg_label = word(ctx, "registration_date", "Ngày, tháng, năm đăng ký")
        blocks.append(lv(ctx, reg_label, numeric_date(reg, ctx.rng)))
    blocks.append(
        signature_block(
            ctx,
            ("NGƯỜI KÝ GIẤY KHAI SINH",),
            signer_name(ctx),
            seal=True,
            note="(Ký, ghi rõ họ, chữ đệm, tên, chức vụ và đóng dấu)",
            date_line=place_date(office.date_place, reg, ctx, "registration_date"),
        )
    )
    fields: dict[str, FieldValue] = {
        "full_name": child.name,
        "date_of_birth": dob.isoformat(),
        "gender": "male" if child.male else "female",
        "personal_id": child.pid,
        "mother_name": mother.name,
        "father_name": father.name,
        "registration_number": number,
        "registration_date": reg.isoformat(),
    }
    return Document(
        "birth_certificate", dict(fields), [page(blocks)], make_style(ctx.rng), office.seal, reg
    )


def marriage_certificate(ctx: Ctx) -> Document:
    """GIẤY CHỨNG NHẬN KẾT HÔN, spouses one after the other or side by side."""
    place = pick_place(ctx)
    reg = ctx.date_between(dt.date(2016, 3, 1), LATEST)
    husband = make_person(ctx, True, dt.date(reg.year - 45, 1, 1), dt.date(reg.year - 21, 1, 1))
    wife = make_person(ctx, False, dt.date(reg.year - 40, 1, 1), dt.date(reg.year - 19, 1, 1))
    office = commune_office(ctx, place, reg)
    number = reg_number(ctx, reg.year)
    in_header = ctx.chance(0.5)
    num_label = word(ctx, "registration_number", "Số")
    blocks: list[Block] = [
        header(ctx, office, number if in_header else None, None, number_label=num_label)
    ]
    blocks += title_block(["GIẤY CHỨNG NHẬN KẾT HÔN"])
    if not in_header:
        blocks.append(text(f"{num_label}: {number}", align="center"))
    side_by_side = ctx.chance(0.35)

    def spouse(p: Person, role: str, short: bool) -> list[Item]:
        label = (
            "Họ, chữ đệm, tên"
            if short
            else ctx.pick((f"Họ, chữ đệm, tên {role}", f"Họ và tên {role}"))
        )
        items: list[Item] = []
        if short:
            items.append(text(f"Thông tin của {role}", bold=True, align="center"))
        name_field = "husband_name" if role == "chồng" else "wife_name"
        items += [
            lv(ctx, word(ctx, name_field, label), p.name),
            lv(
                ctx,
                word(ctx, "date_of_birth", "Ngày, tháng, năm sinh"),
                numeric_date(p.dob, ctx.rng),
            ),
            lv(ctx, "Dân tộc", ctx.pick(data.ETHNICITIES)),
            lv(ctx, "Quốc tịch", "Việt Nam"),
            lv(ctx, "Nơi cư trú", address(ctx, pick_place(ctx), reg)),
            lv(ctx, word(ctx, "id", id_label(ctx, reg)), format_id(p.pid, ctx.rng)),
        ]
        return items

    if side_by_side:
        blocks.append(
            Columns(
                (
                    Column(0.5, tuple(spouse(husband, "chồng", True))),
                    Column(0.5, tuple(spouse(wife, "vợ", True))),
                )
            )
        )
    else:
        first, second = ((husband, "chồng"), (wife, "vợ"))
        if ctx.chance(0.3):
            first, second = second, first
        blocks += spouse(*first, False)
        blocks.append(Spacer(2))
        blocks += spouse(*second, False)
    blocks.append(lv(ctx, "Nơi đăng ký", office.long_name))
    reg_label = word(ctx, "registration_date", "Ngày, tháng, năm đăng ký")
    blocks.append(lv(ctx, reg_label, numeric_date(reg, ctx.rng)))
    left: tuple[Item, ...] = ()
    if ctx.chance(0.6):
        left = (
            text("Chồng", bold=True, align="center"),
            SignatureSpace(14),
            text(husband.title_name, align="center"),
            text("Vợ", bold=True, align="center", before=0.5),
            SignatureSpace(14),
            text(wife.title_name, align="center"),
        )
    blocks.append(
        signature_block(
            ctx,
            office.signer_titles,
            signer_name(ctx),
            seal=True,
            date_line=place_date(office.date_place, reg, ctx, "registration_date"),
            left=left,
        )
    )
    fields: dict[str, FieldValue] = {
        "husband_name": husband.name,
        "husband_date_of_birth": husband.dob.isoformat(),
        "husband_id": husband.pid,
        "wife_name": wife.name,
        "wife_date_of_birth": wife.dob.isoformat(),
        "wife_id": wife.pid,
        "registration_number": number,
        "registration_date": reg.isoformat(),
    }
    return Document(
        "marriage_certificate", dict(fields), [page(blocks)], make_style(ctx.rng), office.seal, reg
    )


def death_certificate(ctx: Ctx) -> Document:
    """TRÍCH LỤC KHAI TỬ (2016+) or the older GIẤY CHỨNG TỬ (9-digit CMND era)."""
    place = pick_place(ctx)
    old = ctx.chance(0.25)
    if old:
        death = ctx.date_between(dt.date(2003, 1, 1), dt.date(2012, 12, 31))
    else:
        death = ctx.date_between(dt.date(2016, 1, 1), LATEST - dt.timedelta(days=20))
    reg = death + dt.timedelta(days=ctx.rng.randint(0, 15))
    person = make_person(ctx, None, dt.date(1920, 1, 1), dt.date(1992, 12, 31), place.id_code)
    office = commune_office(ctx, place, reg)
    number = reg_number(ctx, reg.year)
    title = "GIẤY CHỨNG TỬ" if old else "TRÍCH LỤC KHAI TỬ"
    in_header = ctx.chance(0.5)
    num_label = word(ctx, "registration_number", "Số")
    blocks: list[Block] = [
        header(ctx, office, number if in_header else None, None, number_label=num_label)
    ]
    sub = None if old else ctx.pick(("(Bản chính)", "(Bản sao)", "")) or None
    blocks += title_block([title], sub)
    if not in_header:
        blocks.append(text(f"{num_label}: {number}", align="center"))
    label = ctx.pick(("Họ, chữ đệm, tên", "Họ và tên", "Họ, chữ đệm, tên người chết"))
    blocks.append(lv(ctx, word(ctx, "full_name", label), person.name))
    dob_label = word(ctx, "date_of_birth", "Ngày, tháng, năm sinh")
    blocks.append(lv(ctx, dob_label, numeric_date(person.dob, ctx.rng)))
    blocks.append(ethnic_line(ctx, person.male, tab_stops(ctx)))
    fields: dict[str, FieldValue] = {
        "full_name": person.name,
        "date_of_birth": person.dob.isoformat(),
    }
    if old:
        blocks.append(lv(ctx, "Số CMND", old_cmnd(ctx.rng)))
    else:
        id_text = word(ctx, "personal_id", id_label(ctx, reg))
        blocks.append(lv(ctx, id_text, format_id(person.pid, ctx.rng)))
        fields["personal_id"] = person.pid
    blocks.append(lv(ctx, "Nơi cư trú cuối cùng", address(ctx, place, reg)))
    hh, mm = ctx.rng.randint(0, 23), ctx.rng.choice((0, 15, 30, 45, 10, 20))
    died = numeric_date(death, ctx.rng) if ctx.chance(0.7) else format_date(death, "words")
    died_label = word(ctx, "date_of_death", "Đã chết vào lúc")
    blocks.append(lv(ctx, died_label, f"{hh:02d} giờ {mm:02d} phút, {died}"))
    blocks.append(
        lv(
            ctx,
            "Nơi chết",
            ctx.pick(
                (
                    "Tại nhà",
                    f"Trạm Y tế {place.commune_label(reg)}",
                    f"Bệnh viện Đa khoa {place.province.name}",
                )
            ),
        )
    )
    blocks.append(lv(ctx, "Nguyên nhân chết", ctx.pick(data.DEATH_CAUSES)))
    declarant = make_person(ctx, None, dt.date(1950, 1, 1), dt.date(1995, 1, 1))
    relations = ["Con", "Cháu"]
    if declarant.male != person.male:
        relations.append("Chồng" if declarant.male else "Vợ")
    blocks.append(
        lv(
            ctx,
            "Người đi khai tử",
            declarant.name,
            tail=f"; Quan hệ với người chết: {ctx.pick(relations)}",
        )
    )
    blocks.append(lv(ctx, "Nơi đăng ký khai tử", office.long_name))
    reg_label = word(ctx, "registration_date", "Ngày, tháng, năm đăng ký")
    blocks.append(lv(ctx, reg_label, numeric_date(reg, ctx.rng)))
    blocks.append(
        signature_block(
            ctx,
            office.signer_titles,
            signer_name(ctx),
            seal=True,
            date_line=place_date(office.date_place, reg, ctx, "registration_date"),
            left=recipients(ctx) if ctx.chance(0.3) else (),
        )
    )
    fields.update(
        {
            "date_of_death": death.isoformat(),
            "registration_number": number,
            "registration_date": reg.isoformat(),
        }
    )
    paper = "archival" if old and ctx.chance(0.6) else "white"
    return Document(
        "death_certificate",
        dict(fields),
        [page(blocks, paper=paper)],
        make_style(ctx.rng),
        office.seal,
        reg,
    )
