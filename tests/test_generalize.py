"""Extraction that generalises: label wordings no schema lists, values found by where they
stand, and the labels such matching must never take from another field.

Documents are built as text lines turned into OCR words (20 px per character, 45 px per
line), the way Tesseract reports them; a line given as several (text, x) pieces is one
printed line cut apart (two columns, a seal over it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from digitizer.records import FieldValue, OcrWord
from digitizer.understanding.layout import segments_of
from digitizer.understanding.schema import load_schemas
from digitizer.understanding.understand import Understander
from tests.conftest import UNDERSTANDING_TODAY

ROOT = Path(__file__).resolve().parent.parent
TODAY = UNDERSTANDING_TODAY

Line = str | tuple[str, int] | Sequence[tuple[str, int]]


def ocr_words(lines: Sequence[Line], conf: float = 95.0) -> list[OcrWord]:
    """OCR words of one page: a line is its text (at x=200), (text, x), or a list of
    (text, x) pieces on one line."""
    words: list[OcrWord] = []
    for number, line in enumerate(lines):
        pieces = [(line, 200)] if isinstance(line, str) else [line] if _is_piece(line) else line
        for text, x in pieces:  # type: ignore[misc]
            for token in str(text).split():
                words.append(
                    OcrWord(token, x, 200 + 45 * number, 20 * len(token), 32, conf, 0, number)
                )
                x += 20 * len(token) + 14
    return words


def _is_piece(line: object) -> bool:
    return isinstance(line, tuple) and len(line) == 2 and isinstance(line[1], int)


def read(understander: Understander, *pages: Sequence[Line]) -> dict[str, FieldValue]:
    result = understander.understand([ocr_words(p) for p in pages])
    return result.fields


def values(fields: dict[str, FieldValue]) -> dict[str, object]:
    return {k: v.value for k, v in fields.items()}


HEADER = [
    [("UBND HUYỆN LỤC NAM", 200), ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1100)],
    ("Độc lập - Tự do - Hạnh phúc", 1200),
]


# ------------------------------------------------------------------ the evaluation's misses


def _business(owner_line: str, tail: Sequence[Line] = ()) -> list[Line]:
    return [
        *HEADER,
        ("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", 500),
        ("Mã số hộ kinh doanh: 24D8852015", 650),
        ("Đăng ký lần đầu: ngày 21 tháng 12 năm 2025", 600),
        "1. Tên hộ kinh doanh: HỘ KINH DOANH TẠP HÓA DIỆU THẢO",
        "2. Địa điểm kinh doanh: Xóm 7, xã Bảo Đài, tỉnh Bắc Ninh",
        "4. Vốn kinh doanh: 225.000.000 đồng",
        owner_line,
        "Sinh ngày: 05/08/1981",
        "Số CCCD: 034181891824",
        *tail,
    ]


def test_the_owner_of_a_household_business_as_the_evaluation_printed_it(
    understander: Understander,
) -> None:
    fields = read(understander, _business("5. Họ và tên chủ hộ: TRẦN DIỆU THẢO"))
    assert fields["owner_name"].value == "TRẦN DIỆU THẢO"
    assert fields["owner_name"].status == "ok"  # "chủ hộ": words of the field's own labels
    assert fields["owner_id"].value == "034181891824"


@pytest.mark.parametrize(
    "label",
    ["Địa điểm", "Địa điểm xây dựng", "2. Địa điểm xây dựng công trình", "- Địa chỉ công trình"],
)
def test_a_construction_site_given_as_its_place(understander: Understander, label: str) -> None:
    site = "Số 12, ngõ 5, phố Trần Phú, phường Hà Đông, thành phố Hà Nội"
    page = [
        *HEADER,
        ("GIẤY PHÉP XÂY DỰNG", 600),
        "Số: 125/GPXD",
        "1. Cấp cho: Ông NGUYỄN VĂN AN",
        "- Địa chỉ: thôn Đông, xã Tân Dĩnh, tỉnh Bắc Ninh",  # the owner's, not the site
        f"{label}: {site}",
        "+ Số tầng: 3",
        ("Hà Nội, ngày 7 tháng 9 năm 2017", 1200),
    ]
    fields = read(understander, page)
    assert fields["construction_address"].value == site
    assert fields["issue_date"].value == "2017-09-07"


def _land(page2_tail: Sequence[Line], serial: Sequence[Line] = (("CS 123456", 1800),)) -> list:
    page1: list[Line] = [
        ("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", 400),
        "Ông: NGUYỄN VĂN AN, sinh năm 1970, CCCD số: 024070001234, địa chỉ thường trú:",
        "thôn Đông, xã Tân Dĩnh, tỉnh Bắc Ninh",
        *[""] * 20,
        *serial,
    ]
    page2: list[Line] = [
        "II. THỬA ĐẤT ĐƯỢC QUYỀN SỬ DỤNG",
        "a) Thửa đất số: 671; tờ bản đồ số: 10;",
        "b) Địa chỉ: thôn Đông, xã Tân Dĩnh, tỉnh Bắc Ninh;",
        "c) Diện tích: 148 m2;",
        *page2_tail,
    ]
    return [page1, page2]


@pytest.mark.parametrize(
    "signing_line",
    [
        [("Bắc Giang, ngày 7 tháng 9 năm 2017", 1100)],
        [("Bắc Giang, ngày 07 tháng 09", 1100), ("năm 2017", 1900)],  # a seal between
        [("Bắc Giang, ,ngày 7 tháng 9 năm 2017", 1100)],  # a speck read as a comma
        [("Bắc Giang, ngày-7 tháng 9 năm 2017", 1100)],
        [("Bắc Giang, ngày !7 tháng 9 năm 2017", 1100)],  # 17: "!" for a 1
        [("Bắc Giang ngày 7 tháng 9 năm 2017", 1100)],  # the comma lost
        [("TP. Hồ Chí Minh, ngày 7/9/2017", 1100)],
        [("Vào sổ cấp GCN: CH01234", 200), ("Bắc Giang, ngày 7 tháng 9 năm 2017", 1100)],
    ],
)
def test_a_land_certificate_issued_on_its_signing_line(
    understander: Understander, signing_line: list[tuple[str, int]]
) -> None:
    fields = read(understander, *_land([signing_line, ("TM. ỦY BAN NHÂN DÂN", 1150)]))
    want = "2017-09-17" if "!7" in signing_line[0][0] else "2017-09-07"
    assert fields["issue_date"].value == want
    assert fields["issue_date"].status == "ok"


@pytest.mark.parametrize(
    ("serial", "want"),
    [
        ([("AĐ 123456", 1500)], "AĐ 123456"),
        ([("‘ CS 123456 |", 1500)], "CS 123456"),  # specks around it
        ([("CS 123 456", 1500)], "CS 123456"),  # digits read apart
        ([[("CS", 1500), ("123456", 1900)]], "CS 123456"),  # letters and digits far apart
        ([("CS 01234567", 1500)], "CS 01234567"),  # 8 digits (2024 certificates)
        (["Số phát hành:", ("BN 179849", 200)], "BN 179849"),
        ([("Số phát hành GCN: BN 179849", 1200)], "BN 179849"),
    ],
)
def test_a_serial_number_alone_at_the_foot_of_the_page(
    understander: Understander, serial: list[Line], want: str
) -> None:
    fields = read(understander, *_land([], serial))
    assert fields["serial_number"].value == want


def test_a_serial_is_never_cut_out_of_a_longer_number(understander: Understander) -> None:
    fields = read(understander, *_land([], [("Số phát hành: CS 1234567", 1200)]))
    assert "serial_number" not in fields  # 7 digits: no serial, not "CS 123456"


# ------------------------------------------------------------------ unseen wordings, 8 types


def test_birth_certificate_in_other_words(understander: Understander) -> None:
    page = [
        *HEADER,
        ("GIẤY KHAI SINH", 700),
        "Số: 125/2025",
        "1. Họ tên người được khai sinh: NGUYỄN THỊ AN",
        "2. Ngày, tháng, năm sinh: 15/03/2025",
        "3. Giới tính: Nữ",
        "4. Số định danh cá nhân: 001325012345",
        "5. Họ và tên của người mẹ: TRẦN THỊ BÌNH",
        "6. Họ và tên người cha đẻ: NGUYỄN VĂN CƯỜNG",
        "7. Ngày đăng ký khai sinh: 20/03/2025",
    ]
    assert values(read(understander, page)) == {
        "full_name": "NGUYỄN THỊ AN",
        "date_of_birth": "2025-03-15",
        "gender": "female",
        "personal_id": "001325012345",
        "mother_name": "TRẦN THỊ BÌNH",
        "father_name": "NGUYỄN VĂN CƯỜNG",
        "registration_number": "125/2025",
        "registration_date": "2025-03-20",
    }


def test_marriage_certificate_in_other_words(understander: Understander) -> None:
    page = [
        ("GIẤY CHỨNG NHẬN KẾT HÔN", 600),
        "Số: 12/2020",
        "Họ và tên người chồng: LÊ VĂN BA",
        "Ngày, tháng, năm sinh: 01/02/1990",
        "Số CCCD: 001090000001",
        "Họ và tên người vợ: PHẠM THỊ THU",
        "Ngày, tháng, năm sinh: 03/04/1992",
        "Số CCCD: 001192000002",
        "Ngày đăng ký kết hôn: 05/06/2020",
    ]
    assert values(read(understander, page)) == {
        "husband_name": "LÊ VĂN BA",
        "husband_date_of_birth": "1990-02-01",
        "husband_id": "001090000001",
        "wife_name": "PHẠM THỊ THU",
        "wife_date_of_birth": "1992-04-03",
        "wife_id": "001192000002",
        "registration_number": "12/2020",
        "registration_date": "2020-06-05",
    }


def test_death_certificate_in_other_words(understander: Understander) -> None:
    page = [
        ("TRÍCH LỤC KHAI TỬ", 700),
        "Số: 45/2021",
        "Họ, chữ đệm, tên người đã chết: TRẦN VĂN BÌNH",
        "Ngày, tháng, năm sinh: 02/03/1940",
        "Chết lúc: 10 giờ 30 phút, ngày 05/06/2021",
        ("Lục Nam, ngày 8 tháng 6 năm 2021", 1100),
    ]
    assert values(read(understander, page)) == {
        "full_name": "TRẦN VĂN BÌNH",
        "date_of_birth": "1940-03-02",
        "date_of_death": "2021-06-05",
        "registration_number": "45/2021",
        "registration_date": "2021-06-08",
    }


def test_land_certificate_in_other_words(understander: Understander) -> None:
    pages = _land(
        ["đ) Mục đích: Đất ở tại nông thôn;", ("Bắc Giang, ngày 7 tháng 9 năm 2017", 1100)]
    )
    pages[1][2] = "b) Địa chỉ của thửa đất: thôn Đông, xã Tân Dĩnh, tỉnh Bắc Ninh;"
    fields = values(read(understander, *pages))
    assert fields["land_use_purpose"] == "Đất ở tại nông thôn"
    assert fields["land_address"] == "thôn Đông, xã Tân Dĩnh, tỉnh Bắc Ninh"
    assert fields["serial_number"] == "CS 123456" and fields["issue_date"] == "2017-09-07"


def test_business_registration_in_other_words(understander: Understander) -> None:
    page = [
        *HEADER,
        ("Lục Nam, ngày 3 tháng 6 năm 2017", 1200),
        ("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", 500),
        ("Mã số hộ kinh doanh: 24D8852015", 650),
        "1. Tên hộ kinh doanh: TẠP HÓA THẢO",
        "2. Địa điểm: Xóm 7, xã Bảo Đài, tỉnh Bắc Ninh",
        "3. Vốn kinh doanh: 225.000.000 đồng",
        "4. Họ, chữ đệm và tên chủ hộ kinh doanh: TRẦN DIỆU THẢO",
    ]
    fields = values(read(understander, page))
    assert fields["business_address"] == "Xóm 7, xã Bảo Đài, tỉnh Bắc Ninh"
    assert fields["owner_name"] == "TRẦN DIỆU THẢO"
    assert fields["issue_date"] == "2017-06-03"  # no "Đăng ký lần đầu": the signing line


def test_construction_permit_in_other_words(understander: Understander) -> None:
    page = [
        ("GIẤY PHÉP XÂY DỰNG", 600),
        "Số giấy phép: 425/GPXD",
        "1. Cấp cho: Bà NGUYỄN DIỆU YẾN",
        "+ Địa điểm xây dựng: Số 40, ngõ 166, phố Quang Trung, xã Nam Đàn, tỉnh Nghệ An",
        "+ Diện tích xây dựng tầng trệt: 54,9 m2",
        "+ Số tầng nhà: 2",
        ("Nghệ An, ngày 26 tháng 5 năm 2026", 1200),
    ]
    fields = read(understander, page)
    assert values(fields) == {
        "permit_number": "425/GPXD",
        "owner_name": "NGUYỄN DIỆU YẾN",
        "construction_address": "Số 40, ngõ 166, phố Quang Trung, xã Nam Đàn, tỉnh Nghệ An",
        "building_area_m2": 54.9,
        "floors": 2,
        "issue_date": "2026-05-26",
    }
    assert fields["floors"].status == "needs_review"  # "nhà": a word no label of it has


def test_dossier_receipt_in_other_words(understander: Understander) -> None:
    page = [
        ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", 300),
        "Mã hồ sơ: 000.12.24.H07-230315-0001",
        "Họ và tên người nộp hồ sơ: TRẦN VĂN BA",
        "Ngày nhận: 15/03/2023",
        "Ngày hẹn trả: 22/03/2023",
    ]
    fields = values(read(understander, page))
    assert fields["applicant_name"] == "TRẦN VĂN BA"
    assert fields["received_date"] == "2023-03-15"
    assert fields["appointment_date"] == "2023-03-22"


def test_application_form_in_other_words(understander: Understander) -> None:
    page = [
        ("ĐƠN ĐỀ NGHỊ CẤP BẢN SAO", 500),
        "Kính gửi: Ủy ban nhân dân xã Tân Dĩnh",
        "1. Họ, chữ đệm và tên người làm đơn: LÊ THỊ HOA",
        "2. Số điện thoại di động: 0912 345 678",
        ("Tân Dĩnh, ngày 2 tháng 3 năm 2024", 1100),
    ]
    fields = read(understander, page)
    assert fields["applicant_name"].value == "LÊ THỊ HOA"
    assert fields["phone"].value == "0912345678"
    assert fields["date"].value == "2024-03-02"
    assert fields["phone"].status == "needs_review"  # "di động": words nobody listed


# ------------------------------------------------------------------ what must not happen


def test_a_date_of_birth_is_not_an_issue_date(understander: Understander) -> None:
    # "Ngày cấp" is the ID card's (a stop label); "Ngày sinh" is contained in no issue label
    page = _business("5. Họ và tên chủ hộ: TRẦN DIỆU THẢO", ["Ngày cấp: 26/06/2018"])
    page[4] = "Đăng ký: lần đầu"  # the first registration's date unreadable
    fields = read(understander, page)
    assert "issue_date" not in fields


def test_a_contained_label_of_another_field_gives_nothing(understander: Understander) -> None:
    # "Ngày, tháng, năm" is in the date of birth's labels and in the registration's
    page = [
        ("GIẤY KHAI SINH", 700),
        "Số: 125/2025",
        "Họ, chữ đệm, tên: NGUYỄN THỊ AN",
        "Ngày, tháng, năm: 15/03/2025",
    ]
    fields = read(understander, page)
    assert "date_of_birth" not in fields and "registration_date" not in fields


def test_the_owners_address_is_not_the_site(understander: Understander) -> None:
    page = [
        ("GIẤY PHÉP XÂY DỰNG", 600),
        "Số: 125/GPXD",
        "1. Cấp cho: Ông NGUYỄN VĂN AN",
        "Địa chỉ: thôn Đông, xã Tân Dĩnh, tỉnh Bắc Ninh",
        "2. Địa điểm xây dựng:",
        "- Lô đất số 12, khu dân cư số 3",
    ]
    fields = read(understander, page)
    assert "construction_address" not in fields  # never the owner's address


def test_the_person_who_registered_a_birth_is_not_the_child(understander: Understander) -> None:
    page = [
        ("GIẤY KHAI SINH", 700),
        "Số: 125/2025",
        "Họ và tên người đi khai sinh: NGUYỄN VĂN CƯỜNG",
        "Ngày, tháng, năm sinh: 15/03/2025",
    ]
    assert "full_name" not in read(understander, page)


def test_a_containing_label_never_wins_over_a_listed_one(understander: Understander) -> None:
    page = [
        ("GIẤY KHAI SINH", 700),
        "Số: 125/2025",
        "Họ, chữ đệm, tên: NGUYỄN THỊ AN",
        "Họ và tên người làm chứng: LÊ VĂN MINH",  # contains "Họ và tên": whose name?
    ]
    field = read(understander, page)["full_name"]
    assert field.value == "NGUYỄN THỊ AN" and field.status == "needs_review"
    page[3] = "Họ và tên khai sinh: NGUYỄN THỊ AN"  # the same value: no doubt
    field = read(understander, page)["full_name"]
    assert field.value == "NGUYỄN THỊ AN" and field.status == "ok"


def test_a_qualifier_naming_another_person_goes_to_a_clerk(understander: Understander) -> None:
    page = [
        ("GIẤY KHAI SINH", 700),
        "Số: 125/2025",
        "Họ, chữ đệm, tên: NGUYỄN THỊ AN",
        "Số định danh cá nhân của mẹ: 001190012345",  # "mẹ": the mother's label's word
    ]
    field = read(understander, page).get("personal_id")
    assert field is None or field.status == "needs_review"


def test_a_stop_label_still_stops_a_value(understander: Understander) -> None:
    page = _business("Họ và tên chủ hộ: TRẦN DIỆU THẢO Giới tính: Nữ")
    assert read(understander, page)["owner_name"].value == "TRẦN DIỆU THẢO"
    page = [
        ("GIẤY PHÉP XÂY DỰNG", 600),
        "Số: 125/GPXD",
        "Địa điểm: Số 12, phố Trần Phú Ngày cấp: 01/01/2020",
    ]
    assert read(understander, page)["construction_address"].value == "Số 12, phố Trần Phú"


def test_longer_labels_keep_their_words(understander: Understander) -> None:
    # "Địa chỉ" inside "Địa chỉ thửa đất" is the parcel's; the holder's address is a stop
    pages = _land([])
    pages[1][2] = "b) Địa chỉ thửa đất: thôn Bắc, xã Tân Dĩnh, tỉnh Bắc Ninh;"
    assert (
        read(understander, *pages)["land_address"].value == "thôn Bắc, xã Tân Dĩnh, tỉnh Bắc Ninh"
    )


def test_numbering_is_no_part_of_a_label() -> None:
    from digitizer.understanding.extract import label_hits

    schemas = load_schemas(ROOT / "schemas")
    schema = schemas.get("business_household_registration")
    assert schema is not None
    for line in ("5. Họ và tên chủ hộ: AN", "a) Họ và tên chủ hộ: AN", "II. Họ và tên chủ hộ: AN"):
        segs = segments_of([ocr_words([line])])
        hits = [h for h in label_hits(segs, schema, schemas.stop_labels) if h.owner]
        assert [(h.owner, segs[0].text[h.start : h.end]) for h in hits] == [
            ("owner_name", "Họ và tên chủ hộ")
        ]
        assert 0.85 < hits[0].score < 1.0  # less than a label found as listed


def test_a_label_broken_inside_is_not_a_value(understander: Understander) -> None:
    # "…, địa chỉ thường" / "trú: như trên": the spouse's address label, broken in two
    pages = _land([])
    pages[0][3:3] = [
        "Và chồng là ông: VŨ VĂN DŨNG, sinh năm 1986, CCCD số: 042086869056, địa chỉ thường",
        "trú: như trên",
    ]
    pages[1][0] = "II. Thửa đất, nhà ở và tài sản khác gắn liền với đất"
    pages[1][2] = "b) Địa chỉ thửa đất tại: thôn Bắc, xã Tân Dĩnh, tỉnh Bắc Ninh;"
    field = read(understander, *pages)["land_address"]
    assert field.value == "thôn Bắc, xã Tân Dĩnh, tỉnh Bắc Ninh"
    # a lower-case value at a line's end stays a value before a label of two words
    page = [("GIẤY KHAI SINH", 700), "Số: 125/2025", "Giới tính: nữ", "dân tộc: Kinh"]
    assert read(understander, page)["gender"].value == "female"


def test_a_registry_number_under_its_label_is_not_the_serial(understander: Understander) -> None:
    fields = read(understander, *_land([], ["Số vào sổ cấp GCN:", ("CH 012345", 200)]))
    assert "serial_number" not in fields
    assert fields["registry_number"].value == "CH 012345"


@pytest.mark.parametrize(
    "line",
    [
        "Căn cứ Luật Xây dựng, ngày 18 tháng 6 năm 2014;",
        "e) Thời hạn sử dụng: đến ngày 01/04/2076;",
        "Căn cứ Quyết định số 12/QĐ-UBND, ngày 05/06/2020 của UBND huyện",
        "Hiệu lực từ ngày 5 tháng 6 năm 2020",
    ],
)
def test_a_date_in_a_sentence_is_no_signing_date(understander: Understander, line: str) -> None:
    assert "issue_date" not in read(understander, *_land([line]))


def test_abridged_and_one_word_labels(understander: Understander) -> None:
    pages = _land(["đ) Mục đích SD: Đất ở tại nông thôn;"], [("Seri: CS 123456", 1500)])
    pages[1][1] = "a) Thửa: 671; tờ BĐ số: 10;"
    fields = values(read(understander, *pages))
    assert fields["land_use_purpose"] == "Đất ở tại nông thôn"
    assert fields["map_sheet_number"] == "10" and fields["parcel_number"] == "671"
    assert fields["serial_number"] == "CS 123456"
    page = [("GIẤY KHAI SINH", 700), "Số: 125/2025", "Giới: Nam"]
    assert read(understander, page)["gender"].value == "male"


def test_a_signing_line_without_its_place(understander: Understander) -> None:
    fields = read(understander, *_land([("Ngày 7 tháng 9 năm 2017", 1100)]))
    assert fields["issue_date"].value == "2017-09-07"
    # a date inside a sentence or a label's value is not one
    assert "issue_date" not in read(understander, *_land(["Ngày 7 tháng 9 năm 2017 chuyển nhượng"]))


def test_a_serial_after_an_unknown_label_only_on_the_first_page(
    understander: Understander,
) -> None:
    pages = _land(["Vào sổ: CS 012345"], [("Số phôi: BA 280354", 1500)])
    assert read(understander, *pages)["serial_number"].value == "BA 280354"
    pages = _land(["Vào sổ: CS 012345"], [])
    assert "serial_number" not in read(understander, *pages)
