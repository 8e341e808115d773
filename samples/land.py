"""Land use right certificates of the three eras (before 2009, 2009-2024, from 2024).

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
    Place,
    address,
    district_office,
    make_person,
    make_style,
    page,
    pick_place,
    place_date,
    province_office,
    signature_block,
    signer_name,
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
    Sketch,
    Spacer,
    Table,
)
from samples.vntext import (
    area_words,
    capitalize,
    format_area,
    format_date,
    numeric_date,
    old_cmnd,
)
from samples.wordings import placement, unseen, word


def land_use_certificate(ctx: Ctx) -> Document:
    """Land use right certificate ("sổ đỏ"/"sổ hồng") of one of three eras, 2 to 4 pages."""
    place = pick_place(ctx)
    era = ctx.variant or ctx.rng.choices(("old", "mid", "new"), weights=(30, 50, 20))[0]
    if era == "old":
        issue = ctx.date_between(dt.date(1994, 1, 1), dt.date(2009, 12, 9))
        titles = ["GIẤY CHỨNG NHẬN", "QUYỀN SỬ DỤNG ĐẤT"]
        if ctx.chance(0.4):
            titles = ["GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT"]
    elif era == "mid":
        issue = ctx.date_between(dt.date(2009, 12, 10), dt.date(2024, 7, 31))
        titles = [
            "GIẤY CHỨNG NHẬN",
            "QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở",
            "VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT",
        ]
    else:
        issue = ctx.date_between(dt.date(2024, 8, 1), LATEST - dt.timedelta(days=30))
        titles = ["GIẤY CHỨNG NHẬN", "QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN", "GẮN LIỀN VỚI ĐẤT"]
    paper = (
        "archival"
        if era == "old" or (era == "mid" and ctx.chance(0.3))
        else ("pink" if ctx.chance(0.6) else "white")
    )
    n_pages = ctx.rng.choices((2, 3, 4), weights=(40, 30, 30))[0]
    holder = make_person(ctx, None, dt.date(1935, 1, 1), dt.date(issue.year - 20, 12, 31))
    serial = f"{ctx.pick(data.SERIAL_LETTERS)} {ctx.rng.randrange(1_000_000):06d}"
    registry = (
        f"{ctx.pick(('CH', 'CS', 'CT', 'VP'))}{ctx.rng.randrange(100_000):05d}"
        if era != "old"
        else f"{ctx.pick(('H', 'QSDĐ'))}{ctx.rng.randrange(100_000):05d}"
    )
    parcel = str(ctx.rng.randint(1, 980))
    sheet = str(ctx.rng.randint(1, 65))
    area = ctx.rng.randint(400, 25_000) if ctx.chance(0.8) else ctx.rng.randint(25_000, 90_000)
    if ctx.chance(0.3):
        area -= area % 10
    purpose = ctx.pick(data.LAND_PURPOSES)
    if purpose.startswith("Đất ở"):  # residential land is urban in wards, rural elsewhere
        purpose = "Đất ở tại đô thị" if place.commune.kind == "phường" else "Đất ở tại nông thôn"
    land_place = Place(place.province, place.district, place.commune)
    land_addr = address(ctx, land_place, issue)
    holder_addr = address(ctx, pick_place(ctx, place.province) if ctx.chance(0.3) else place, issue)
    fields: dict[str, FieldValue] = {"holder_name": holder.name}

    # page 1: holder
    motto: list[Item] = [
        text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, align="center", fit=True),
        text("Độc lập - Tự do - Hạnh phúc", bold=True, align="center", rule=1.0, fit=True),
    ]
    p1: list[Block]
    if era == "new":
        p1 = [
            Columns(
                (
                    Column(0.2, ()),
                    Column(0.6, tuple(motto)),
                    Column(0.2, (QrItem(serial, 22, "right"),)),
                )
            )
        ]
    else:
        p1 = [Columns((Column(1.0, tuple(motto)),))]
    p1 += title_block(titles, before=2.0, scale=1.35)
    section = {
        "old": "I. TÊN NGƯỜI SỬ DỤNG ĐẤT",
        "mid": "I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với đất",
        "new": "1. Người sử dụng đất, chủ sở hữu tài sản gắn liền với đất",
    }[era]
    p1.append(text(section, bold=True, before=1.0))
    if issue < dt.date(2013, 1, 1):
        id_text = f"CMND số: {old_cmnd(ctx.rng)}"
    else:
        label = ctx.pick(
            ("CCCD số", "Số định danh cá nhân", "CMND số")
            if issue.year < 2021
            else ("CCCD số", "Số định danh cá nhân", "Căn cước số")
        )
        id_text = f"{word(ctx, 'holder_id', label)}: {holder.pid}"
        fields["holder_id"] = holder.pid
    intro = ctx.pick(
        (f"{holder.honorific}: ", f"Hộ {holder.honorific.lower()}: ", f"{holder.honorific} ")
    )
    if unseen(ctx):
        intro = f"{word(ctx, 'holder_name', intro)}: "
    born = (
        f"sinh năm {holder.dob.year}"
        if ctx.chance(0.7)
        else f"sinh ngày {numeric_date(holder.dob, ctx.rng)}"
    )
    p1.append(
        Para(
            (
                Run(intro),
                Run(holder.name, bold=True),
                Run(f", {born}, {id_text}, địa chỉ thường trú: {holder_addr}"),
            ),
            align="justify",
            before=0.4,
            indent_mm=ctx.rng.choice((0.0, 8.0)),
        )
    )
    if ctx.chance(0.4):
        spouse = make_person(
            ctx,
            not holder.male,
            dt.date(holder.dob.year - 5, 1, 1),
            dt.date(holder.dob.year + 5, 1, 1),
        )
        sp_id = (
            f"CMND số: {old_cmnd(ctx.rng)}"
            if issue < dt.date(2013, 1, 1)
            else f"CCCD số: {spouse.pid}"
        )
        p1.append(
            Para(
                (
                    Run(f"Và {'chồng' if spouse.male else 'vợ'} là {spouse.honorific.lower()}: "),
                    Run(spouse.name, bold=True),
                    Run(f", sinh năm {spouse.dob.year}, {sp_id}, địa chỉ thường trú: như trên"),
                ),
                align="justify",
                before=0.3,
            )
        )
    labelled = not ctx.chance(0.5)
    alone = ("alone at the bottom left", "alone at the bottom centre")
    where = placement(ctx, "serial_number", alone)
    if where is not None:
        bottom = [text(serial, align="left" if where.endswith("left") else "center")]
    else:
        label = word(ctx, "serial_number", "Số phát hành") if labelled else ""
        serial_line = f"{label}: {serial}" if labelled else serial
        bottom = [text(serial_line, bold=True, align="right", scale=1.15)]
    pages = [page(p1, bottom, paper=paper, frame=True)]
    fields["serial_number"] = serial

    # page 2: parcel, signature
    sec2 = {
        "old": "II. THỬA ĐẤT ĐƯỢC QUYỀN SỬ DỤNG",
        "mid": "II. Thửa đất, nhà ở và tài sản khác gắn liền với đất",
        "new": "2. Thông tin thửa đất",
    }[era]
    p2: list[Block] = [text(sec2, bold=True)]
    if era != "old":
        p2.append(text("1. Thửa đất:", bold=True, before=0.3))
    ind = 5.0
    term = (
        "Lâu dài"
        if purpose.startswith("Đất ở")
        else f"đến ngày {numeric_date(dt.date(issue.year + 50, issue.month, 1), ctx.rng)}"
    )
    area_text = format_area(area, force_decimal=ctx.chance(0.3))
    parcel_label = word(ctx, "parcel_number", "Thửa đất số")
    sheet_label = word(ctx, "map_sheet_number", "tờ bản đồ số")
    addr_label = word(ctx, "land_address", "Địa chỉ")
    items = [
        Para(
            (Run(f"a) {parcel_label}: {parcel}; {sheet_label}: {sheet};"),),
            indent_mm=ind,
            hang_mm=ind + 5,
        ),
        Para((Run(f"b) {addr_label}: {land_addr};"),), indent_mm=ind, hang_mm=ind + 5),
        Para(
            (
                Run(
                    f"c) {word(ctx, 'area_m2', 'Diện tích')}: {area_text} m²"
                    + (f" (bằng chữ: {area_words(area)});" if ctx.chance(0.6) else ";")
                ),
            ),
            indent_mm=ind,
            hang_mm=ind + 5,
        ),
        Para(
            (Run("d) Hình thức sử dụng: " + ctx.pick(("Sử dụng riêng", "riêng")) + ";"),),
            indent_mm=ind,
        ),
        Para(
            (Run(f"đ) {word(ctx, 'land_use_purpose', 'Mục đích sử dụng')}: {purpose};"),),
            indent_mm=ind,
            hang_mm=ind + 5,
        ),
        Para((Run(f"e) Thời hạn sử dụng: {term};"),), indent_mm=ind),
        Para(
            (Run(f"g) Nguồn gốc sử dụng: {ctx.pick(data.LAND_ORIGINS)}."),),
            indent_mm=ind,
            hang_mm=ind + 5,
        ),
    ]
    if ctx.chance(0.3):  # parcel number and sheet on separate label lines
        first = parcel_label[:1].lower() + parcel_label[1:]
        items[0] = Para(
            (Run(f"a) {capitalize(sheet_label)}: {sheet}; {first}: {parcel};"),), indent_mm=ind
        )
    p2 += items
    if era != "old":
        for i, what in enumerate(
            ("Nhà ở", "Công trình xây dựng khác", "Rừng sản xuất là rừng trồng", "Cây lâu năm"),
            start=2,
        ):
            p2.append(text(f"{i}. {what}: -/-", before=0.2 if i == 2 else 0.0))
        p2.append(
            text(
                "6. Ghi chú: -/-"
                if ctx.chance(0.7)
                else "6. Ghi chú: Thửa đất nằm trong hành lang bảo vệ an toàn công trình."
            )
        )
    if era == "old" or ctx.chance(0.5):
        office: Office = district_office(ctx, place, issue, None)
    else:
        office = province_office(ctx, place, "Sở Tài nguyên và Môi trường")
    reg_label = "Số vào sổ cấp GCN" if era != "old" else "Vào sổ cấp giấy chứng nhận số"
    reg_label = word(ctx, "registry_number", reg_label)
    left: tuple[Item, ...] = (Spacer(30), text(f"{reg_label}: {registry}", bold=ctx.bold_values))
    p2.append(
        signature_block(
            ctx,
            office.signer_titles,
            signer_name(ctx),
            seal=True,
            date_line=place_date(office.date_place, issue, ctx, "issue_date"),
            left=left,
            before=1.5,
        )
    )
    pages.append(page(p2, paper=paper, frame=True))
    fields.update(
        {
            "registry_number": registry,
            "parcel_number": parcel,
            "map_sheet_number": sheet,
            "area_m2": area / 10,
            "land_address": land_addr,
            "land_use_purpose": purpose,
            "issue_date": issue.isoformat(),
        }
    )

    # pages 3-4: sketch, changes
    compact = n_pages == 3  # sketch and changes share a page
    sketch_page: list[Block] = [
        text(
            "III. Sơ đồ thửa đất, nhà ở và tài sản khác gắn liền với đất"
            if era != "old"
            else "III. SƠ ĐỒ THỬA ĐẤT",
            bold=True,
        ),
        Spacer(4),
        Sketch(ctx.rng.uniform(60, 80) if compact else ctx.rng.uniform(90, 130)),
    ]
    changes = _land_changes(ctx, issue, area, compact)
    if n_pages == 3:
        pages.append(page([*sketch_page, Spacer(4), *changes], paper=paper, frame=True))
    elif n_pages == 4:
        pages.append(page(sketch_page, paper=paper, frame=True))
        pages.append(page(changes, paper=paper, frame=True))
    return Document(
        "land_use_certificate",
        dict(fields),
        pages,
        make_style(ctx.rng, wide_margins=True),
        office.seal,
        issue,
    )


def _land_changes(ctx: Ctx, issue: dt.date, area: int, compact: bool) -> list[Block]:
    """Section IV: the table of later changes (mortgages, transfers, corrections)."""
    head = (
        "IV. Những thay đổi sau khi cấp giấy chứng nhận"
        if ctx.chance(0.6)
        else "IV. NHỮNG THAY ĐỔI SAU KHI CẤP GIẤY CHỨNG NHẬN"
    )
    rows: list[tuple[tuple[Para, ...], ...]] = [
        (
            (text("Nội dung thay đổi và cơ sở pháp lý", bold=True, align="center", scale=0.9),),
            (text("Xác nhận của cơ quan có thẩm quyền", bold=True, align="center", scale=0.9),),
        )
    ]
    when = issue
    for _ in range(ctx.rng.randint(0, 3)):
        when = ctx.date_between(when + dt.timedelta(days=30), when + dt.timedelta(days=2000))
        if when > LATEST:
            break
        code = f"{ctx.rng.randint(1, 9999):04d}.CN.{when.year % 100:02d}"
        content = ctx.pick(data.LAND_CHANGES).format(
            code=code, area=f"{format_area(max(100, area // 2))} m²"
        )
        rows.append(
            (
                (text(content, scale=0.9, align="justify"),),
                (
                    text(f"{capitalize(format_date(when, 'words'))}", align="center", scale=0.9),
                    text("Văn phòng Đăng ký đất đai", align="center", scale=0.9),
                ),
            )
        )
    while len(rows) < (4 if compact else 5):
        rows.append(((), ()))
    return [
        text(head, bold=True),
        Spacer(3),
        Table((0.6, 0.4), tuple(rows), min_row_mm=14 if compact else 22),
    ]
