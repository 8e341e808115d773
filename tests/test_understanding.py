"""Classification and extraction on OCR words laid out as real forms lay them out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digitizer.records import OcrWord
from digitizer.understanding.layout import fold_text
from digitizer.understanding.learned import DocTypeModel, train
from digitizer.understanding.schema import SchemaSet, load_schemas
from digitizer.understanding.understand import Understander
from digitizer.understanding.validate import load_province_codes

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)


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


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return load_schemas(ROOT / "schemas")


@pytest.fixture(scope="module")
def understander(schemas: SchemaSet) -> Understander:
    return Understander(schemas, load_province_codes(), TODAY)


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
