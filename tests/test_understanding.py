"""Classification and extraction on OCR words laid out as real forms lay them out."""

from __future__ import annotations

from pathlib import Path

import pytest

from digitizer.records import OcrWord
from digitizer.understanding.layout import fold_text
from digitizer.understanding.learned import DocTypeModel, train
from digitizer.understanding.schema import SchemaSet
from digitizer.understanding.understand import Understander
from digitizer.understanding.validate import load_province_codes
from digitizer.understanding.values import ends_unnamed, fix_address_words, is_choices
from tests.conftest import UNDERSTANDING_TODAY

ROOT = Path(__file__).resolve().parent.parent
TODAY = UNDERSTANDING_TODAY


class Page:
    """Words placed like Tesseract reports them: 20 px per character, 40 px per line."""

    def __init__(self) -> None:
        self.words: list[OcrWord] = []
        self._line = 0

    def line(self, text: str, x: int = 200, y: int | None = None, conf: float = 95.0) -> Page:
        top = y if y is not None else 200 + 45 * self._line
        for token in text.split():
            self.words.append(OcrWord(token, x, top, 20 * len(token), 32, conf, 0, self._line))
            x += 20 * len(token) + 14
        self._line += 1
        return self

    def row(self, left: str, right: str, right_x: int = 1300) -> Page:
        """Two columns on one printed line, read by OCR as one line."""
        top = 200 + 45 * self._line
        self.line(left, 200, top)
        self._line -= 1
        self.line(right, right_x, top)
        return self


def _birth(personal_id: str = "001325012345", conf: float = 95.0) -> Page:
    return (
        Page()
        .row("ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
        .row("XÃ TÂN DĨNH", "Độc lập - Tự do - Hạnh phúc")
        .line("Số: 125/2025")
        .line("GIẤY KHAI SINH", x=700)
        .line("Họ, chữ đệm, tên: NGUYỄN THỊ AN", conf=conf)
        .line("Ngày, tháng, năm sinh: 15/03/2025")
        .line("Giới tính: Nữ Dân tộc: Kinh Quốc tịch: Việt Nam")
        .line(f"Số định danh cá nhân: {personal_id}")
        .line("Họ, chữ đệm, tên người mẹ: TRẦN THỊ BÌNH")
        .line("Họ, chữ đệm, tên người cha: NGUYỄN VĂN CƯỜNG")
        .line("Ngày, tháng, năm đăng ký: 20/03/2025")
    )


def test_birth_certificate_fields(understander: Understander) -> None:
    result = understander.understand([_birth().words])
    assert result.doc_type == "birth_certificate"
    values = {k: v.value for k, v in result.fields.items()}
    assert values == {
        "full_name": "NGUYỄN THỊ AN",
        "date_of_birth": "2025-03-15",
        "gender": "female",
        "personal_id": "001325012345",
        "mother_name": "TRẦN THỊ BÌNH",
        "father_name": "NGUYỄN VĂN CƯỜNG",
        "registration_number": "125/2025",
        "registration_date": "2025-03-20",
    }
    assert all(v.status == "ok" for v in result.fields.values())
    assert not result.needs_review


def test_an_id_that_contradicts_the_date_of_birth_needs_review(understander: Understander) -> None:
    # century/gender digit 1 = female born 1900-1999, but she was born in 2025 (3 is right)
    result = understander.understand([_birth("001125012345").words])
    assert result.fields["personal_id"].status == "needs_review"
    assert result.needs_review


def test_poorly_read_words_need_review(understander: Understander) -> None:
    result = understander.understand([_birth(conf=40.0).words])
    assert result.fields["full_name"].status == "needs_review"


def test_side_by_side_husband_and_wife(understander: Understander) -> None:
    page = (
        Page()
        .line("GIẤY CHỨNG NHẬN KẾT HÔN", x=600)
        .line("Số: 12/2020")
        .row("Thông tin của chồng", "Thông tin của vợ", right_x=1500)
        .row("Họ, chữ đệm, tên: LÊ VĂN BA", "Họ, chữ đệm, tên: PHẠM THỊ THU")
        .row("Ngày, tháng, năm sinh: 01/02/1990", "Ngày, tháng, năm sinh: 03/04/1992")
        .row("Số CCCD: 001090000001", "Số CCCD: 001192000002")
    )
    result = understander.understand([page.words])
    assert result.doc_type == "marriage_certificate"
    values = {k: v.value for k, v in result.fields.items()}
    assert values["husband_name"] == "LÊ VĂN BA" and values["wife_name"] == "PHẠM THỊ THU"
    assert values["husband_date_of_birth"] == "1990-02-01"
    assert values["wife_date_of_birth"] == "1992-04-03"
    assert values["husband_id"] == "001090000001" and values["wife_id"] == "001192000002"
    assert result.fields["wife_id"].status == "ok"


def test_land_certificate_values_in_sentences_and_on_page_two(understander: Understander) -> None:
    page1 = (
        Page()
        .line("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", x=400)
        .line("Ông: NGUYỄN VĂN AN, sinh năm 1970, CCCD số: 024070001234, địa chỉ thường trú:")
        .line("thôn Đông, xã Tân Dĩnh, tỉnh Bắc Ninh")
        .line("CS 123456", x=1800)
    )
    page2 = (
        Page()
        .line("Thửa đất số: 671; tờ bản đồ số: 10;")
        .line("Địa chỉ: thôn Đông, xã Tân Dĩnh, tỉnh Bắc Ninh;")
        .line("Diện tích: 1.171,9 m² (bằng chữ: một nghìn)")
        .line("Mục đích sử dụng: Đất ở tại nông thôn;")
        .line("Bắc Ninh, ngày 22 tháng 11 năm 2025", x=1200)
    )
    result = understander.understand([page1.words, page2.words])
    assert result.doc_type == "land_use_certificate"
    values = {k: v.value for k, v in result.fields.items()}
    assert values["holder_name"] == "NGUYỄN VĂN AN"
    assert values["holder_id"] == "024070001234"
    assert values["serial_number"] == "CS 123456"
    assert values["parcel_number"] == "671" and values["map_sheet_number"] == "10"
    assert values["area_m2"] == 1171.9
    assert values["land_use_purpose"] == "Đất ở tại nông thôn"
    assert values["issue_date"] == "2025-11-22"


def test_a_decoded_qr_beats_ocr(understander: Understander) -> None:
    page = (
        Page()
        .line("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", x=300)
        .line("Mã hồ sơ: 000.12.24.H07-230315-0O01")  # OCR read a letter O
        .line("Họ tên người nộp: Ông TRẦN VĂN BA")
    )
    code = "000.12.24.H07-230315-0001"
    result = understander.understand([page.words], [[code]])
    assert result.fields["dossier_code"].value == code
    assert result.fields["dossier_code"].status == "ok"
    assert result.fields["dossier_code"].origin == "qr"  # stored so: re-indexing keeps it
    assert result.fields["applicant_name"].origin == "ocr"


@pytest.mark.parametrize(
    "lines",
    [
        ["Dear Sir or Madam,", "We are pleased to invite you to the annual meeting", "Regards"],
        [],
        ["THÔNG BÁO", "Về việc tổ chức họp dân cư thôn Đông", "Kính mời các hộ gia đình"],
    ],
)
def test_not_one_of_the_types_is_unknown_with_no_fields(
    understander: Understander, lines: list[str]
) -> None:
    page = Page()
    for text in lines:
        page.line(text)
    result = understander.understand([page.words])
    assert result.doc_type == "unknown"
    assert result.fields == {}


def test_learned_model_takes_over_only_without_a_title(tmp_path: Path, schemas: SchemaSet) -> None:
    births = [" ".join(w.text for w in _birth(f"00132501{i:04d}").words) for i in range(6)]
    notices = [
        f"THÔNG BÁO họp dân cư thôn số {i} kính mời các hộ gia đình tham dự" for i in range(6)
    ]
    report = train(
        [fold_text(t) for t in births + notices],
        ["birth_certificate"] * 6 + ["notice"] * 6,
        schemas.fingerprint,
        tmp_path / "m.pkl",
        threshold=0.6,
    )
    assert report.documents == 12
    model = DocTypeModel.load(tmp_path / "m.pkl")
    assert model is not None
    understander = Understander(schemas, load_province_codes(), TODAY, model=model)
    untitled = [w for w in _birth().words if w.text not in ("GIẤY", "KHAI", "SINH")]
    result = understander.understand([untitled])
    assert result.doc_type == "birth_certificate"
    assert result.doc_type_confidence < 0.8  # learned, not read from a title


def test_training_needs_enough_confirmed_documents(tmp_path: Path, schemas: SchemaSet) -> None:
    from digitizer.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="not enough confirmed documents"):
        train(["a b c"], ["birth_certificate"], schemas.fingerprint, tmp_path / "m.pkl")


def _land_page_two(date_line: list[tuple[str, int]]) -> Page:
    page = (
        Page()
        .line("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", x=400)
        .line("Ông: NGUYỄN VĂN AN, sinh năm 1970, CCCD số: 024070001234, địa chỉ thường trú:")
        .line("thôn Đông, xã Tân Dĩnh, tỉnh Bắc Ninh")
        .line("CS 123456", x=1800)
        .line("Thửa đất số: 671; tờ bản đồ số: 5l;")  # "5l": OCR's 1
        .line("Diện tích: 1.171,9 m² (bằng chữ: một nghìn)")
    )
    top = 200 + 45 * 8
    for text, x in date_line:  # pieces of one printed line, cut apart by a seal
        page.line(text, x=x, y=top)
    return page


def test_a_map_sheet_number_with_a_letter_for_a_digit(understander: Understander) -> None:
    page = _land_page_two([("Bắc Ninh, ngày 22 tháng 11 năm 2025", 1200)])
    result = understander.understand([page.words])
    assert result.fields["map_sheet_number"].value == "51"
    assert result.fields["issue_date"].value == "2025-11-22"


def test_a_date_with_a_space_inside_its_month(understander: Understander) -> None:
    page = _birth()
    page.words = [
        OcrWord("8-1 1-1999" if w.text == "15/03/2025" else w.text, *_box(w)) for w in page.words
    ]
    result = understander.understand([page.words])
    assert result.fields["date_of_birth"].value == "1999-11-08"


def _box(w: OcrWord) -> tuple[int, int, int, int, float, int, int]:
    return (w.left, w.top, w.width, w.height, w.confidence, w.block, w.line)


def test_a_schema_spelling_fixes_a_standard_phrase(understander: Understander) -> None:
    page = (
        Page()
        .line("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", x=300)
        .line("Tên hộ kinh doanh: HỒ KINH DOANH TẠP HÓA MAI")
    )
    result = understander.understand([page.words])
    assert result.fields["business_name"].value == "HỘ KINH DOANH TẠP HÓA MAI"


# ------------------------------------------------------------ labels as OCR really reads them


def test_a_label_read_with_dots_for_its_commas(understander: Understander) -> None:
    page = _birth()
    page.words = [
        OcrWord("Họ." if w.text == "Họ," and w.line == 4 else w.text, *_box(w)) for w in page.words
    ]
    page.words = [
        OcrWord("đệm." if w.text == "đệm," and w.line == 4 else w.text, *_box(w))
        for w in page.words
    ]
    result = understander.understand([page.words])
    assert result.fields["full_name"].value == "NGUYỄN THỊ AN"


def test_a_value_word_before_a_label_is_not_part_of_the_label(understander: Understander) -> None:
    # "NAM Họ, chữ đệm, tên" must not be read as the label "Họ, chữ đệm, tên vợ"
    left = "Họ, chữ đệm, tên: VÕ MẠNH QUANG NAM"
    right_x = 200 + sum(20 * len(t) + 14 for t in left.split()) + 30  # a narrow gap: one line
    page = (
        Page()
        .line("GIẤY CHỨNG NHẬN KẾT HÔN", x=600)
        .line("Số: 48/2023")
        .row("Thông tin của chồng", "Thông tin của vợ", right_x=right_x + 60)
        .row(left, "Họ, chữ đệm, tên: NGUYỄN THÚY HÒA", right_x=right_x)
        .row(
            "Ngày, tháng, năm sinh: 12/05/1982",
            "Ngày, tháng, năm sinh: 08/03/1987",
            right_x=right_x,
        )
        .row("Dân tộc: Kinh", "Dân tộc: Kinh", right_x=right_x)
    )
    result = understander.understand([page.words])
    values = {k: v.value for k, v in result.fields.items()}
    assert values["husband_name"] == "VÕ MẠNH QUANG NAM"
    assert values["wife_name"] == "NGUYỄN THÚY HÒA"
    assert values["husband_date_of_birth"] == "1982-05-12"
    assert values["wife_date_of_birth"] == "1987-03-08"


def _permit(floors_line: str) -> Page:
    return (
        Page()
        .line("GIẤY PHÉP XÂY DỰNG", x=600)
        .line("Số: 425/GPXD")
        .line("1. Cấp cho: Bà NGUYỄN DIỆU YẾN")
        .line("+ Tổng diện tích sàn: 54,9 m2")
        .line(floors_line)
        .line("3. Giấy tờ về quyền sử dụng đất: Giấy chứng nhận số CA 096117.")
        .line("Nghệ An, ngày 26 tháng 5 năm 2026", x=1200)
    )


def test_an_unreadable_value_does_not_take_the_next_line(understander: Understander) -> None:
    result = understander.understand([_permit("+ Số tầng: †").words])
    assert "floors" not in result.fields  # not the "3." of the next list item
    assert understander.understand([_permit("+ Số tầng: 2").words]).fields["floors"].value == 2


def test_the_next_list_item_is_not_a_value(understander: Understander) -> None:
    result = understander.understand([_permit("+ Số tầng:").words])
    assert "floors" not in result.fields


def _land(page2_tail: list[str], page1_tail: tuple[str, ...] = ()) -> list[list[OcrWord]]:
    page1 = (
        Page()
        .line("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", x=400)
        .line("Ông: NGUYỄN VĂN AN, sinh năm 1970, CCCD số: 024070001234, địa chỉ thường trú:")
        .line("thôn Đông, xã Tân Dĩnh, tỉnh Bắc Ninh")
    )
    for text in page1_tail:
        page1.line(text)
    page1.line("CS 123456", x=1800)
    page2 = (
        Page()
        .line("II. THỬA ĐẤT ĐƯỢC QUYỀN SỬ DỤNG")
        .line("a) Thửa đất số: 671; tờ bản đồ số: 10;")
        .line("b) Địa chỉ: thôn Đông, xã Tân Dĩnh, huyện Lạng Giang, thành phố")
        .line("Hà Nội:")
        .line("c) Diện tích: 148 m2 (bằng chữ: một trăm bốn mươi tám mét vuông);")
        .line("đ) Mục đích sử dụng: Đất nuôi trông thủy sản;")
    )
    for text in page2_tail:
        page2.line(text)
    return [page1.words, page2.words]


def test_a_label_broken_at_the_line_end_carries_on_below(understander: Understander) -> None:
    pages = _land(["Gia Lâm, ngày.16 tháng 3 năm 2005", "Vào sổ cấp giấy chứng nhận", "số: H71344"])
    result = understander.understand(pages)
    assert result.fields["registry_number"].value == "H71344"
    assert result.fields["issue_date"].value == "2005-03-16"  # "ngày.16": a speck


def test_a_registry_number_on_the_line_under_its_label(understander: Understander) -> None:
    pages = _land(["Vào sổ cấp giấy chứng nhận số:", "QSDĐ50204"])
    assert understander.understand(pages).fields["registry_number"].value == "QSDĐ50204"
    pages = _land(["Vào sổ cấp giấy chứng nhận số:", "H1148%7"])  # misread: no value
    assert "registry_number" not in understander.understand(pages).fields


def test_the_rest_of_another_label_is_not_a_value(understander: Understander) -> None:
    # "…, địa chỉ" / "thường trú: như trên" is the spouse's address, not the parcel's
    pages = _land(
        [],
        (
            "Và vợ là bà: LÊ THỊ BÌNH, sinh năm 1972, CCCD số: 024172001234, địa chỉ",
            "thường trú: như trên",
        ),
    )
    result = understander.understand(pages)
    assert result.fields["land_address"].value == (
        "thôn Đông, xã Tân Dĩnh, huyện Lạng Giang, thành phố Hà Nội"
    )


def test_an_address_cut_short_needs_review(understander: Understander) -> None:
    page = (
        Page()
        .line("GIẤY PHÉP XÂY DỰNG", x=600)
        .line("Số: 425/GPXD")
        .line("+ Vị trí xây dựng: Thửa đất số: 535, tờ bản đồ số: 35")
        .line("+ Địa chỉ: Số 40, ngõ 166, phố Quang Trung, xã Nam Đàn, tỉnh")
    )
    field = understander.understand([page.words]).fields["construction_address"]
    assert field.value.endswith("tỉnh") and field.status == "needs_review"


def test_the_changes_page_gives_no_fields(understander: Understander) -> None:
    pages = _land(["Hà Nội, ngày 16 tháng 3 năm 2005"])
    changes = (
        Page()
        .line("IV. Những thay đổi sau khi cấp giấy chứng nhận")
        .line("Chuyển nhượng một phần thửa đất, diện tích: 74 m2; tờ bản đồ số: 99")
    )
    result = understander.understand([*pages, changes.words])
    assert result.fields["area_m2"].value == 148.0 and result.fields["area_m2"].status == "ok"
    assert result.fields["map_sheet_number"].value == "10"


def test_a_land_use_purpose_is_spelled_as_the_law_lists_it(understander: Understander) -> None:
    result = understander.understand(_land([]))
    assert result.fields["land_use_purpose"].value == "Đất nuôi trồng thủy sản"
    assert result.fields["land_use_purpose"].status == "ok"


def test_a_purpose_not_in_the_list_needs_review(understander: Understander) -> None:
    pages = _land([])
    pages[1] = [OcrWord("nuôiz" if w.text == "nuôi" else w.text, *_box(w)) for w in pages[1]]
    field = understander.understand(pages).fields["land_use_purpose"]
    assert field.status == "needs_review"


@pytest.mark.parametrize(
    ("day", "iso"), [("1Š", "2019-12-15"), ("13 '", "2019-12-13"), ("07", "2019-12-07")]
)
def test_a_signing_date_with_ocr_specks(understander: Understander, day: str, iso: str) -> None:
    page = _permit("+ Số tầng: 2")
    page.words = [w for w in page.words if w.line != 6]
    page.line(f"Bình Chánh, ngày {day} tháng 12 năm 2019", x=1200)
    assert understander.understand([page.words]).fields["issue_date"].value == iso


def test_a_personal_id_from_a_hesitant_word_needs_review(understander: Understander) -> None:
    page = _birth()
    page.words = [
        OcrWord(w.text, *_box(w)[:4], 84.0, w.block, w.line) if w.text == "001325012345" else w
        for w in page.words
    ]
    field = understander.understand([page.words]).fields["personal_id"]
    assert field.value == "001325012345" and field.status == "needs_review"
    assert understander.understand([_birth().words]).fields["personal_id"].status == "ok"


@pytest.mark.parametrize(
    ("name", "status"),
    [("HỘ KINH DOANH ĂN UỐNG BICH", "needs_review"), ("HỘ KINH DOANH ĂN UỐNG BÍCH", "ok")],
)
def test_a_business_named_after_an_unaccented_given_name(
    understander: Understander, name: str, status: str
) -> None:
    page = (
        Page()
        .line("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", x=300)
        .line(f"Tên hộ kinh doanh: {name}")
    )
    field = understander.understand([page.words]).fields["business_name"]
    assert field.value == name and field.status == status


_PURPOSES = ("Đất ở tại nông thôn", "Đất trồng cây lâu năm", "Đất thương mại, dịch vụ", "Đất ở")


@pytest.mark.parametrize(
    ("value", "listed"),
    [
        ("Đất ở tại nông thôn", True),
        ("Đất ở tại nông thôn; Đất trồng cây lâu năm", True),
        ("Đất ở và Đất trồng cây lâu năm", True),
        ("Đất thương mại, dịch vụ", True),  # a comma inside a listed purpose
        ("Dat o tai nong thon", True),  # accents are fixed by the spelling, not refused
        ("Đất ở tại nông thôn: 100 m2", False),
        ("Đất nuôi trông", False),
        ("", False),
    ],
)
def test_a_value_made_of_listed_choices(value: str, listed: bool) -> None:
    assert is_choices(value, _PURPOSES) is listed


@pytest.mark.parametrize(
    ("address", "short"),
    [
        ("Tổ 3, quận Đống Đa, thành phố", True),
        ("Xóm 7, xã Nam Đàn, tỉnh", True),
        ("Thôn Đông, xã Tân Dĩnh, tỉnh Hà Tĩnh", False),  # "Hà Tĩnh" ends in "tinh"
        ("Khu phố 2, phường 13, quận Bình Thạnh, thành phố Hồ Chí Minh", False),
    ],
)
def test_an_address_that_ends_with_a_unit_word_was_cut_short(address: str, short: bool) -> None:
    assert ends_unnamed(address) is short


def test_a_three_word_unit_name_is_spelled_as_always() -> None:
    assert fix_address_words("Tố dân phố Bắc Sơn, phường Ô Chợ Dừa") == (
        "Tổ dân phố Bắc Sơn, phường Ô Chợ Dừa"
    )
