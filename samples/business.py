"""Business household registrations and construction permits (district offices).

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
    address,
    district_office,
    header,
    lv,
    make_person,
    make_style,
    page,
    pick_place,
    place_date,
    recipients,
    signature_block,
    signer_name,
    text,
    title_block,
)
from samples.layout import (
    Block,
    Para,
    Run,
    Spacer,
)
from samples.vntext import (
    capitalize,
    format_area,
    format_date,
    format_phone,
    group_thousands,
    number_words,
    numeric_date,
)
from samples.wordings import word


def business_household_registration(ctx: Ctx) -> Document:
    """GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH (district finance-planning office)."""
    place = pick_place(ctx)
    issue = ctx.date_between(dt.date(2016, 1, 1), LATEST)
    owner = make_person(ctx, None, dt.date(1960, 1, 1), dt.date(issue.year - 19, 1, 1))
    dept = "PHÒNG KINH TẾ" if issue.year >= 2025 else "PHÒNG TÀI CHÍNH - KẾ HOẠCH"
    office = district_office(ctx, place, issue, dept)
    kind, trade = ctx.rng.choice(data.BUSINESS_KINDS)
    fam = owner.title_name.split()[-1].upper()
    name = ctx.pick(
        (
            f"HỘ KINH DOANH {kind} {fam}",
            f"{kind} {fam}",
            f"HỘ KINH DOANH {kind} {owner.title_name.split()[-2].upper()} {fam}",
        )
    )
    code = f"{place.province.code}{ctx.pick(tuple('ABCDEFGH'))}8{ctx.rng.randrange(1_000_000):06d}"
    capital = ctx.rng.randint(4, 200) * 5_000_000
    biz_addr = address(ctx, place, issue)
    blocks: list[Block] = [
        header(
            ctx,
            office,
            None,
            place_date(office.date_place, issue, ctx, "issue_date") if ctx.chance(0.4) else None,
        )
    ]
    blocks += title_block(["GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH"], scale=1.15)
    code_label = word(ctx, "registration_code", "Mã số hộ kinh doanh")
    blocks.append(text(f"{code_label}: {code}", bold=True, align="center"))
    first_label = word(ctx, "issue_date", "Đăng ký lần đầu")
    blocks.append(
        text(
            f"{first_label}: {format_date(issue, ctx.pick(('words', 'words_pad')))}",
            italic=True,
            align="center",
        )
    )
    blocks.append(Spacer(3))
    blocks.append(
        lv(
            ctx,
            word(
                ctx,
                "business_name",
                ctx.pick(("1. Tên hộ kinh doanh", "1. Tên hộ kinh doanh (ghi bằng chữ in hoa)")),
            ),
            name,
        )
    )
    blocks.append(lv(ctx, word(ctx, "business_address", "2. Địa điểm kinh doanh"), biz_addr))
    phone = f"09{ctx.rng.randrange(100_000_000):08d}"
    blocks.append(text(f"Điện thoại: {format_phone(phone, ctx.rng)}", indent=5))
    blocks.append(lv(ctx, "3. Ngành, nghề kinh doanh", trade))
    capital_label = word(ctx, "capital_vnd", "4. Vốn kinh doanh")
    blocks.append(lv(ctx, capital_label, f"{group_thousands(capital)} đồng"))
    if ctx.chance(0.7):
        blocks.append(
            text(
                f"(Bằng chữ: {capitalize(number_words(capital))} đồng)",
                italic=True,
                indent=5,
                hang=5,
            )
        )
    heading = ctx.pick(("5. Thông tin về chủ hộ kinh doanh:", "5. Chủ hộ kinh doanh:"))
    owner_label = word(ctx, "owner_name", ctx.pick(("Họ và tên", "Họ, chữ đệm và tên")))
    # an unseen "5. Họ và tên chủ hộ: …" is the section's heading and label at once
    merged = owner_label.startswith("5.")
    if not merged:
        blocks.append(text(heading, bold=True, before=0.2))
    rows: list[Block] = [
        lv(ctx, owner_label, owner.name, indent=0 if merged else 5),
        lv(ctx, "Sinh ngày", numeric_date(owner.dob, ctx.rng), indent=5),
        lv(ctx, "Giới tính", "Nam" if owner.male else "Nữ", indent=5),
        lv(
            ctx,
            word(
                ctx,
                "owner_id",
                ctx.pick(("Số định danh cá nhân", "Số giấy tờ pháp lý của cá nhân", "Số CCCD")),
            ),
            owner.pid,
            indent=5,
        ),
        lv(ctx, "Địa chỉ thường trú", address(ctx, pick_place(ctx), issue), indent=5),
    ]
    if ctx.chance(0.5):
        rows.insert(
            4,
            lv(
                ctx,
                "Ngày cấp",
                numeric_date(ctx.date_between(dt.date(2016, 1, 1), issue), ctx.rng),
                indent=5,
                tail="; Nơi cấp: Cục Cảnh sát QLHC về TTXH",
            ),
        )
    if ctx.chance(0.4):
        rows[1], rows[2] = rows[2], rows[1]
    blocks += rows
    blocks.append(
        signature_block(
            ctx,
            office.signer_titles,
            signer_name(ctx),
            seal=True,
            left=recipients(ctx) if ctx.chance(0.3) else (),
        )
    )
    fields: dict[str, FieldValue] = {
        "business_name": name,
        "registration_code": code,
        "owner_name": owner.name,
        "owner_id": owner.pid,
        "business_address": biz_addr,
        "capital_vnd": capital,
        "issue_date": issue.isoformat(),
    }
    return Document(
        "business_household_registration",
        dict(fields),
        [page(blocks)],
        make_style(ctx.rng),
        office.seal,
        issue,
    )


def construction_permit(ctx: Ctx) -> Document:
    """GIẤY PHÉP XÂY DỰNG for a house (nhà ở riêng lẻ)."""
    place = pick_place(ctx)
    issue = ctx.date_between(dt.date(2014, 1, 1), LATEST)
    owner = make_person(ctx, None, dt.date(1955, 1, 1), dt.date(issue.year - 22, 1, 1))
    office = district_office(ctx, place, issue, None)
    n = ctx.rng.randint(1, 950)
    permit = ctx.pick((f"{n}/GPXD", f"{n}/GPXD-UBND", f"{n:03d}/GPXD"))
    parcel, sheet = str(ctx.rng.randint(1, 980)), str(ctx.rng.randint(1, 65))
    b_area = ctx.rng.randint(400, 2500)
    floors = ctx.rng.choices((1, 2, 3, 4, 5, 6), weights=(10, 25, 30, 20, 10, 5))[0]
    site = address(ctx, place, issue)
    date_line = place_date(office.date_place, issue, ctx, "issue_date")
    number_top = ctx.chance(0.5)
    num_label = word(ctx, "permit_number", "Số")
    blocks: list[Block] = [
        header(ctx, office, permit if number_top else None, date_line, number_label=num_label)
    ]
    blocks += title_block(["GIẤY PHÉP XÂY DỰNG"], None)
    if not number_top:
        blocks.append(text(f"{num_label}: {permit}", align="center"))
    blocks.append(text("(Sử dụng cho nhà ở riêng lẻ)", italic=True, align="center"))
    blocks.append(Spacer(3))
    blocks.append(
        Para(
            (
                Run(f"{word(ctx, 'owner_name', '1. Cấp cho')}: {owner.honorific} "),
                Run(owner.name, bold=True),
            ),
            before=0.3,
        )
    )
    blocks.append(lv(ctx, "- Địa chỉ", address(ctx, pick_place(ctx), issue), indent=5))
    blocks.append(text("2. Được phép xây dựng công trình: Nhà ở riêng lẻ"))
    blocks.append(
        text(
            "- Theo thiết kế: do "
            + ctx.pick(
                (
                    "Công ty TNHH Tư vấn thiết kế xây dựng Minh Phát",
                    "Công ty cổ phần Kiến trúc An Phú",
                    "chủ hộ tự thiết kế",
                )
            )
            + " lập.",
            indent=5,
            hang=10,
        )
    )
    blocks.append(text("- Gồm các nội dung sau:", indent=5))
    ind = 10.0
    detail: list[Block] = [
        text(
            f"+ Vị trí xây dựng: {word(ctx, 'parcel_number', 'Thửa đất số')}: {parcel}, "
            f"{word(ctx, 'map_sheet_number', 'tờ bản đồ số')}: {sheet}",
            indent=ind,
            hang=ind + 4,
        ),
        lv(ctx, word(ctx, "construction_address", "+ Địa chỉ"), site, indent=ind),
        text(
            f"+ Cốt nền xây dựng công trình: +{format_area(ctx.rng.randint(2, 9))} m so với "
            "cốt vỉa hè",
            indent=ind,
            hang=ind + 4,
        ),
        text(f"+ Mật độ xây dựng: {ctx.rng.randint(50, 100)}%", indent=ind),
        lv(
            ctx,
            word(ctx, "building_area_m2", "+ Diện tích xây dựng tầng 1 (tầng trệt)"),
            f"{format_area(b_area)} m²",
            indent=ind,
        ),
        text(f"+ Tổng diện tích sàn: {format_area(b_area * floors)} m²", indent=ind),
        text(
            f"+ Chiều cao công trình: {format_area(floors * 35 + ctx.rng.randint(0, 20))} m",
            indent=ind,
        ),
        lv(
            ctx,
            word(ctx, "floors", "+ Số tầng"),
            ctx.pick((str(floors), f"{floors:02d}", f"{floors} tầng")),
            indent=ind,
        ),
    ]
    blocks += detail
    blocks.append(
        text(
            f"3. Giấy tờ về quyền sử dụng đất: Giấy chứng nhận quyền sử dụng đất số "
            f"{ctx.pick(data.SERIAL_LETTERS)} {ctx.rng.randrange(1_000_000):06d}.",
            hang=5,
        )
    )
    blocks.append(
        Para(
            (
                Run(
                    "4. Giấy phép này có hiệu lực khởi công xây dựng trong thời hạn "
                    "12 tháng kể từ ngày cấp; quá thời hạn trên thì phải đề nghị gia "
                    "hạn giấy phép xây dựng."
                ),
            ),
            align="justify",
        )
    )
    blocks.append(
        signature_block(
            ctx, office.signer_titles, signer_name(ctx), seal=True, left=recipients(ctx)
        )
    )
    fields: dict[str, FieldValue] = {
        "permit_number": permit,
        "owner_name": owner.name,
        "construction_address": site,
        "parcel_number": parcel,
        "map_sheet_number": sheet,
        "building_area_m2": b_area / 10,
        "floors": floors,
        "issue_date": issue.isoformat(),
    }
    return Document(
        "construction_permit", dict(fields), [page(blocks)], make_style(ctx.rng), office.seal, issue
    )
