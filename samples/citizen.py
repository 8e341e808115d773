"""Citizen-side papers: application forms and one-stop-shop dossier receipts.

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
    address,
    commune_office,
    district_office,
    ethnic_line,
    header,
    lv,
    make_person,
    make_style,
    page,
    pick_place,
    place_date,
    signature_block,
    tab_stops,
    text,
    title_block,
)
from samples.layout import (
    Block,
    Column,
    Columns,
    Item,
    Para,
    QrItem,
    Run,
    SignatureSpace,
    Spacer,
)
from samples.vntext import (
    format_id,
    format_phone,
    numeric_date,
)
from samples.wordings import word


def application_form(ctx: Ctx) -> Document:
    """ĐƠN ĐỀ NGHỊ / TỜ KHAI filled in by a citizen (no seal); sometimes a blank back page."""
    place = pick_place(ctx)
    signed = ctx.date_between(dt.date(2016, 1, 1), LATEST)
    who = make_person(ctx, None, dt.date(1950, 1, 1), dt.date(signed.year - 18, 1, 1))
    title, purpose = ctx.rng.choice(data.APPLICATION_TITLES)
    office = commune_office(ctx, place, signed)
    phone = f"0{ctx.pick(tuple('389'))}{ctx.rng.randrange(100_000_000):08d}"
    blocks: list[Block] = [header(ctx, None, None, None)]
    blocks += title_block(title.split("\n") if len(title) < 45 else _split_title(title), scale=1.15)
    centred = ctx.chance(0.5)
    blocks.append(
        text(
            f"Kính gửi: {office.long_name}",
            align="center" if centred else "left",
            indent=0.0 if centred else ctx.rng.choice((0.0, 20.0)),
        )
    )
    blocks.append(Spacer(2))
    rows: list[Block] = [
        lv(
            ctx,
            word(
                ctx,
                "applicant_name",
                ctx.pick(
                    ("Họ, chữ đệm, tên người yêu cầu", "Họ và tên người đề nghị", "Họ và tên")
                ),
            ),
            who.name,
        ),
        lv(
            ctx,
            word(ctx, "applicant_date_of_birth", "Ngày, tháng, năm sinh"),
            numeric_date(who.dob, ctx.rng),
        ),
        ethnic_line(ctx, who.male, tab_stops(ctx)),
        lv(
            ctx,
            word(
                ctx,
                "applicant_id",
                ctx.pick(("Giấy tờ tùy thân: CCCD số", "Số định danh cá nhân", "Số CCCD")),
            ),
            format_id(who.pid, ctx.rng),
        ),
        lv(ctx, ctx.pick(("Nơi cư trú", "Địa chỉ thường trú")), address(ctx, place, signed)),
        lv(
            ctx,
            word(ctx, "phone", ctx.pick(("Số điện thoại", "Điện thoại liên hệ"))),
            format_phone(phone, ctx.rng),
        ),
    ]
    if ctx.chance(0.3):
        rows[3], rows[5] = rows[5], rows[3]
    blocks += rows
    blocks.append(Para((Run(f"{purpose}."),), align="justify", before=0.4))
    if ctx.chance(0.6):
        blocks.append(
            lv(
                ctx,
                "Lý do",
                ctx.pick(
                    (
                        "Bổ sung hồ sơ",
                        "Làm thủ tục hành chính",
                        "Bị mất bản chính",
                        "Theo yêu cầu của cơ quan",
                    )
                ),
            )
        )
    blocks.append(
        Para(
            (
                Run(
                    "Tôi cam đoan những nội dung khai trên đây là đúng sự thật và "
                    "chịu trách nhiệm trước pháp luật về cam đoan của mình."
                ),
            ),
            align="justify",
            before=0.4,
            indent_mm=10,
        )
    )
    date_line = place_date(office.date_place, signed, ctx, "date")
    if ctx.chance(0.3):
        date_line = "Làm tại: " + date_line
    blocks.append(
        signature_block(
            ctx,
            (ctx.pick(("NGƯỜI YÊU CẦU", "Người đề nghị", "NGƯỜI LÀM ĐƠN")),),
            who.name if ctx.chance(0.5) else who.title_name,
            seal=False,
            note="(Ký, ghi rõ họ, chữ đệm, tên)",
            date_line=date_line,
        )
    )
    pages = [page(blocks)]
    if ctx.chance(0.15):
        pages.append(page([]))  # duplex back, blank
    fields: dict[str, FieldValue] = {
        "applicant_name": who.name,
        "applicant_id": who.pid,
        "applicant_date_of_birth": who.dob.isoformat(),
        "phone": phone,
        "date": signed.isoformat(),
    }
    return Document("application_form", dict(fields), pages, make_style(ctx.rng), ("", ""), signed)


def _split_title(title: str) -> list[str]:
    """Break a long title near the middle at a space (forms print them on two lines)."""
    words = title.split()
    best, cut = len(title), 1
    for i in range(1, len(words)):
        diff = abs(len(" ".join(words[:i])) - len(" ".join(words[i:])))
        if diff < best:
            best, cut = diff, i
    return [" ".join(words[:cut]), " ".join(words[cut:])]


def _add_working_days(d: dt.date, n: int) -> dt.date:
    while n > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def dossier_receipt(ctx: Ctx) -> Document:
    """GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ, with the dossier code as text and QR."""
    place = pick_place(ctx)
    received = ctx.date_between(dt.date(2019, 1, 1), LATEST - dt.timedelta(days=40))
    while received.weekday() >= 5:
        received += dt.timedelta(days=1)
    who = make_person(ctx, None, dt.date(1950, 1, 1), dt.date(received.year - 18, 1, 1))
    days = ctx.rng.choice((3, 5, 7, 10, 15, 20))
    appointment = _add_working_days(received, days)
    unit_code = (
        f"000.{ctx.rng.randint(0, 40):02d}.{ctx.rng.randint(10, 60):02d}."
        f"H{ctx.rng.randint(1, 63):02d}"
    )
    code = f"{unit_code}-{received:%y%m%d}-{ctx.rng.randint(1, 2500):04d}"
    procedure = ctx.pick(data.PROCEDURES)
    if received >= dt.date(2025, 7, 1) or ctx.chance(0.6):
        office = commune_office(ctx, place, received)
        office = Office(
            (office.header[-1], "BỘ PHẬN MỘT CỬA"),
            office.long_name,
            office.seal,
            office.date_place,
            office.signer_titles,
        )
    else:
        office = district_office(ctx, place, received, None)
        office = Office(
            (
                f"UBND {place.district.kind.upper()} {place.district.name.upper()}",
                "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
            ),
            office.long_name,
            office.seal,
            office.date_place,
            office.signer_titles,
        )
    blocks: list[Block] = [
        header(
            ctx,
            office,
            None,
            place_date(office.date_place, received, ctx, "received_date")
            if ctx.chance(0.5)
            else None,
        )
    ]
    blocks += title_block(["GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"], scale=1.1)
    top: tuple[Item, ...] = (
        lv(ctx, word(ctx, "dossier_code", "Mã hồ sơ"), code),
        text(f"({ctx.pick(('Liên: Lưu', 'Liên: Giao người nộp hồ sơ'))})", italic=True),
        Para(
            (
                Run(
                    word(
                        ctx, "applicant_name", ctx.pick(("Tiếp nhận hồ sơ của", "Họ tên người nộp"))
                    )
                    + ": "
                ),
                Run(f"{who.honorific} "),
                Run(who.name, bold=True),
            ),
            before=0.3,
        ),
        lv(
            ctx,
            word(
                ctx, "applicant_id", ctx.pick(("Số CCCD", "Số định danh cá nhân", "Số CMND/CCCD"))
            ),
            format_id(who.pid, ctx.rng),
        ),
    )
    blocks.append(Columns((Column(0.76, top), Column(0.24, (QrItem(code, 24, "right"),)))))
    blocks.append(lv(ctx, "Địa chỉ", address(ctx, place, received)))
    phone = f"0{ctx.pick(tuple('389'))}{ctx.rng.randrange(100_000_000):08d}"
    blocks.append(lv(ctx, "Số điện thoại", format_phone(phone, ctx.rng)))
    blocks.append(lv(ctx, word(ctx, "procedure_name", "Nội dung yêu cầu giải quyết"), procedure))
    blocks.append(text("1. Thành phần hồ sơ nộp gồm:", before=0.3))
    parts = ctx.rng.sample(list(data.DOSSIER_PARTS), ctx.rng.randint(2, 4))
    for part in parts:
        blocks.append(
            text(
                f"- {part}: {ctx.pick(('01 bản chính', '01 bản sao', '02 bản'))}", indent=5, hang=8
            )
        )
    blocks.append(text("2. Số lượng hồ sơ: 01 (bộ)"))
    blocks.append(text(f"3. Thời gian giải quyết hồ sơ theo quy định là: {days:02d} ngày làm việc"))

    def when(d: dt.date, morning: bool) -> str:
        hh = ctx.rng.randint(7, 11) if morning else ctx.rng.randint(13, 16)
        minute = ctx.pick(("00", "15", "30", "45"))
        return f"{hh:02d} giờ {minute} phút, ngày {numeric_date(d, ctx.rng)}"

    received_label = word(ctx, "received_date", "4. Thời gian nhận hồ sơ")
    blocks.append(lv(ctx, received_label, when(received, ctx.chance(0.6))))
    back_label = word(ctx, "appointment_date", "5. Thời gian trả kết quả giải quyết hồ sơ")
    blocks.append(lv(ctx, back_label, when(appointment, ctx.chance(0.5))))
    blocks.append(
        text(
            f"6. Vào Sổ theo dõi hồ sơ, Quyển số: {ctx.rng.randint(1, 9):02d}, "
            f"Số thứ tự: {ctx.rng.randint(1, 900)}"
        )
    )
    blocks.append(
        text(
            "7. Đăng ký nhận kết quả tại: "
            + ctx.pick(("Bộ phận Một cửa", "Dịch vụ bưu chính công ích", "Trực tuyến"))
        )
    )
    clerk = make_person(ctx, None, dt.date(1970, 1, 1), dt.date(1998, 1, 1))
    left: tuple[Item, ...] = (
        text("NGƯỜI NỘP HỒ SƠ", bold=True, align="center"),
        text("(Ký và ghi rõ họ tên)", italic=True, align="center", scale=0.9),
        SignatureSpace(18),
        text(who.title_name, bold=True, align="center"),
    )
    blocks.append(
        signature_block(
            ctx,
            ("NGƯỜI TIẾP NHẬN HỒ SƠ",),
            clerk.title_name,
            seal=False,
            note="(Ký và ghi rõ họ tên)",
            left=left,
        )
    )
    fields: dict[str, FieldValue] = {
        "dossier_code": code,
        "applicant_name": who.name,
        "applicant_id": who.pid,
        "procedure_name": procedure,
        "received_date": received.isoformat(),
        "appointment_date": appointment.isoformat(),
    }
    return Document(
        "dossier_receipt", dict(fields), [page(blocks)], make_style(ctx.rng), ("", ""), received
    )
