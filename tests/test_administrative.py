"""Administrative documents in the Decree 30/2020 layout: type, zones, handwritten blanks.

Pages are OCR words laid out as the decree lays out the document (issuing body and number
top left, motto and place-date top right, the kind centred, "Nơi nhận" and the signature
block at the end), with the misreadings real scans show: a handwritten number read as
"ốT", a day read as "Qÿ_", capitals without their accents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from digitizer.records import OcrWord
from digitizer.understanding.places import respell_places
from digitizer.understanding.understand import Understander
from digitizer.understanding.zones import Blank
from tests.conftest import UNDERSTANDING_TODAY

ROOT = Path(__file__).resolve().parent.parent
TODAY = UNDERSTANDING_TODAY


class Page:
    """Words placed as Tesseract reports them: 20 px a character, lines 60 px apart."""

    def __init__(self) -> None:
        self.words: list[OcrWord] = []
        self._line = 0

    def at(self, text: str, x: int, conf: float = 95.0, *, same_line: bool = False) -> Page:
        if same_line:
            self._line -= 1
        top = 150 + 60 * self._line
        for token in text.split():
            self.words.append(OcrWord(token, x, top, 20 * len(token), 40, conf, 0, self._line))
            x += 20 * len(token) + 14
        self._line += 1
        return self

    def centred(self, text: str, conf: float = 95.0) -> Page:
        return self.at(text, 1240 - 10 * len(text), conf)


def _header(page: Page, number: str = "87", day: str = "05", title: str | None = "QUYẾT ĐỊNH"):
    page.at("ỦY BAN NHÂN DÂN", 300).at("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1100, same_line=True)
    page.at("TỈNH QUẢNG NGÃI", 310).at("Độc lập - Tự do - Hạnh phúc", 1250, same_line=True)
    symbol = "/QĐ-UBND" if title == "QUYẾT ĐỊNH" else "/UBND-KTTH"
    page.at(f"Số: {number} {symbol}", 300)
    page.at(f"Quảng Ngãi, ngày {day} tháng 02 năm 2025", 1150, same_line=True)
    if title is None:
        page.at("V/v đăng ký bổ sung nội dung trình", 280)
        page.at("HĐND tỉnh tại kỳ họp thứ 31", 320)
        page.centred("Kính gửi: Hội đồng nhân dân tỉnh")
    else:
        page.centred(title)
        page.centred("Về việc bổ nhiệm vào ngạch Thanh tra viên")
        page.centred("đối với ông Võ Văn Dương")
        page.centred("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI")
    page.at("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015;", 400)
    page.at("Điều 1. Bổ nhiệm ông Võ Văn Dương vào ngạch Thanh tra viên.", 400)
    return page


def _ending(page: Page, position: str = "PHÓ CHỦ TỊCH") -> Page:
    page.at("Nơi nhận:", 300).at("TM. ỦY BAN NHÂN DÂN", 1500, same_line=True)
    page.at("- Như Điều 3;", 300).at("KT. CHỦ TỊCH", 1560, same_line=True)
    page.at("- CT, PCT UBND tỉnh;", 300).at(position, 1540, same_line=True)
    page.at("- Lưu: VT, NC.", 300)
    page.at("Trần Phước Hiền", 1520)
    return page


def test_a_decision_read_from_its_zones(understander: Understander) -> None:
    page = _ending(_header(Page()))
    found = understander.understand([page.words])
    assert found.doc_type == "administrative_document"
    values = {name: f.value for name, f in found.fields.items()}
    assert values == {
        "document_kind": "QUYẾT ĐỊNH",
        "number": "87/QĐ-UBND",
        "issue_date": "2025-02-05",
        "place": "Quảng Ngãi",
        "issuing_authority": "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI",
        "summary": "Về việc bổ nhiệm vào ngạch Thanh tra viên đối với ông Võ Văn Dương",
        "signer_authority_line": "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH",
        "signer_position": "PHÓ CHỦ TỊCH",
        "signer_name": "Trần Phước Hiền",
        "recipients": "Như Điều 3; CT, PCT UBND tỉnh; Lưu: VT, NC",
    }
    assert all(f.status == "ok" for f in found.fields.values()), found.fields


def test_a_letter_without_title_is_a_cong_van(understander: Understander) -> None:
    page = _ending(_header(Page(), title=None))
    found = understander.understand([page.words])
    assert found.doc_type == "administrative_document"
    assert found.fields["document_kind"].value == "CÔNG VĂN"
    assert found.fields["number"].value == "87/UBND-KTTH"
    assert (
        found.fields["summary"].value
        == "V/v đăng ký bổ sung nội dung trình HĐND tỉnh tại kỳ họp thứ 31"
    )


def test_capitals_read_without_accents_get_the_known_spelling(understander: Understander) -> None:
    page = Page()
    page.at("UY BAN NHAN DAN", 300).at("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1100, same_line=True)
    page.at("TINH QUANG NGAI", 310).at("Độc lập - Tự do - Hạnh phúc", 1250, same_line=True)
    page.at("Số: 12/TB-UBND", 300).at("Quang Ngai, ngày 15 tháng 11 năm 2024", 1150, same_line=True)
    page.centred("THÔNG BÁO").centred("Kết luận của Chủ tịch UBND tỉnh")
    found = understander.understand([_ending(page, "CHU TICH").words])
    assert found.fields["issuing_authority"].value == "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"
    assert found.fields["place"].value == "Quảng Ngãi"
    assert found.fields["signer_position"].value == "CHỦ TỊCH"


def test_a_symbol_that_names_another_kind_goes_to_review(understander: Understander) -> None:
    page = _ending(_header(Page(), title="THÔNG BÁO"))  # "Số: 87 /UBND-KTTH" under THÔNG BÁO
    found = understander.understand([page.words])
    assert found.fields["document_kind"].value == "THÔNG BÁO"
    assert found.fields["number"].status == "needs_review"  # a notice's symbol names TB
    page = Page()
    _header(page)
    page.words = [
        OcrWord("THÔNG", w.left, w.top, w.width, w.height, w.confidence, w.block, w.line)
        if w.text == "QUYẾT"
        else OcrWord("BÁO", w.left, w.top, w.width, w.height, w.confidence, w.block, w.line)
        if w.text == "ĐỊNH"
        else w
        for w in page.words
    ]
    found = understander.understand([_ending(page).words])
    assert found.fields["document_kind"].value == "THÔNG BÁO"
    assert found.fields["number"].status == "needs_review"  # QĐ under THÔNG BÁO
    assert found.fields["document_kind"].status == "needs_review"


def test_a_garbled_handwritten_number_is_never_ok(understander: Understander) -> None:
    page = _ending(_header(Page(), number="ốT", day="Qÿ_"))
    found = understander.understand([page.words])
    assert found.doc_type == "administrative_document"
    number = found.fields.get("number")
    assert number is None or number.status == "needs_review"
    date = found.fields.get("issue_date")
    assert date is None or date.status == "needs_review"
    assert found.needs_review


@dataclass(frozen=True)
class _One:
    value: str | None


@dataclass(frozen=True)
class _Hand:
    """A second reading as digitizer.handwriting gives it (value only when agreed)."""

    value: str | None
    agreed: bool
    handwritten: bool = True
    crop_box: tuple[int, int, int, int] = (1, 2, 3, 4)
    reason: str = "the two recognizers disagree"
    readings: tuple[_One, ...] = ()


def _reader(readings: Mapping[str, _Hand]):
    asked: list[Blank] = []

    def read(blank: Blank) -> Mapping[str, _Hand]:
        asked.append(blank)
        return {k: v for k, v in readings.items() if k in blank.printed}

    return read, asked


def test_two_agreeing_readings_of_a_blank_are_accepted(understander: Understander) -> None:
    page = _ending(_header(Page(), number="ốT", day="Qÿ_"))
    read, asked = _reader({"number": _Hand("87", True), "day": _Hand("05", True)})
    found = understander.understand([page.words], read_blank=read)
    assert {b.template for b in asked} == {"{number}/QĐ-UBND", "{day}/{month}/{year}"}
    assert found.fields["number"].value == "87/QĐ-UBND"
    assert found.fields["number"].status == "ok"
    assert found.fields["issue_date"].value == "2025-02-05"


def test_disagreeing_readings_go_to_a_clerk_with_the_crop(understander: Understander) -> None:
    page = _ending(_header(Page(), number="8T", day="05"))
    disagree = _Hand(None, False, readings=(_One("87"), _One("81")))
    read, _ = _reader({"number": disagree, "day": _Hand("05", True)})
    found = understander.understand([page.words], read_blank=read)
    number = found.fields["number"]
    assert number.value == "87/QĐ-UBND"  # the better guess, shown to the clerk
    assert number.status == "needs_review"
    assert number.box == (1, 2, 3, 4)
    assert found.fields["issue_date"].status == "ok"


def test_a_printed_number_stands_when_the_second_readings_fail(understander: Understander) -> None:
    page = _ending(_header(Page(), number="565"))
    read, _ = _reader({"number": _Hand(None, False, handwritten=False)})
    found = understander.understand([page.words], read_blank=read)
    assert found.fields["number"].value == "565/QĐ-UBND"
    assert found.fields["number"].status == "ok"


def test_a_citizens_form_is_not_an_administrative_document(understander: Understander) -> None:
    page = Page()
    page.centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").centred("Độc lập - Tự do - Hạnh phúc")
    page.centred("ĐƠN ĐỀ NGHỊ").centred("Về việc xin cấp lại giấy tờ")
    page.at("Kính gửi: Ủy ban nhân dân xã Tân Dĩnh", 400)
    page.at("Tôi tên là: NGUYỄN VĂN AN", 400)
    found = understander.understand([page.words])
    assert found.doc_type != "administrative_document"


def test_handwriting_only_is_unknown_with_no_fields(understander: Understander) -> None:
    page = Page().at("ghi chú anh Nam gọi lại", 300, 40).at("sáng mai 8 giờ", 320, 35)
    found = understander.understand([page.words])
    assert found.doc_type == "unknown"
    assert found.fields == {}


def test_a_missing_number_is_missing_not_invented(understander: Understander) -> None:
    page = _header(Page())
    page.words = [w for w in page.words if w.text not in ("87", "/QĐ-UBND")]
    found = understander.understand([_ending(page).words])
    assert "number" not in found.fields
    assert "number" in found.missing_required


def test_a_number_line_run_into_the_date_line_is_cut_at_the_column(
    understander: Understander,
) -> None:
    page = Page()
    page.at("ỦY BAN NHÂN DÂN", 300).at("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1100, same_line=True)
    page.at("TỈNH QUẢNG NGÃI", 310).at("Độc lập - Tự do - Hạnh phúc", 1250, same_line=True)
    # one OCR line across both columns, "Số" without its colon
    page.at("Số 87/QĐ-UBND", 300).at("Quảng Ngãi, ngày 05 tháng 02 năm 2025", 1150, same_line=True)
    page.words = [  # 60 px between the runs: one OCR segment (wider gaps split it)
        OcrWord(w.text, w.left + 516, w.top, w.width, w.height, w.confidence, w.block, w.line)
        if w.line == 2 and w.left < 1150
        else w
        for w in page.words
    ]
    page.centred("QUYẾT ĐỊNH").centred("Về việc bổ nhiệm vào ngạch Thanh tra viên")
    found = understander.understand([_ending(page).words])
    assert found.fields["number"].value == "87/QĐ-UBND"
    assert found.fields["issue_date"].value == "2025-02-05"


def test_an_unread_title_is_named_by_the_symbol_for_review(understander: Understander) -> None:
    page = _header(Page())
    page.words = [w for w in page.words if w.text not in ("QUYẾT", "ĐỊNH")]
    found = understander.understand([_ending(page).words])
    assert found.doc_type == "administrative_document"
    kind = found.fields["document_kind"]
    assert kind.value == "QUYẾT ĐỊNH"
    assert kind.status == "needs_review"


def test_the_motto_second_line_is_enough(understander: Understander) -> None:
    page = _header(Page())
    page.words = [w for w in page.words if w.line != 0 or w.left < 1000]  # first line lost
    found = understander.understand([_ending(page).words])
    assert found.doc_type == "administrative_document"
    assert found.fields["number"].value == "87/QĐ-UBND"
    assert found.fields["issuing_authority"].value == "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"
    assert found.fields["issue_date"].value == "2025-02-05"


@pytest.mark.parametrize(
    ("read", "spelled"),
    [
        ("ỦY BAN NHÂN DÂN TỈNH HÀ TĨNH", "ỦY BAN NHÂN DÂN TỈNH HÀ TĨNH"),  # "TĨNH" is a name
        ("TINH QUANG NGAI", "TỈNH QUẢNG NGÃI"),
        ("TĨNH QUANG NGAÀI", "TỈNH QUẢNG NGÃI"),  # a doubled vowel: one name is that near
        ("UBND Thi xa Duc Pho", "UBND Thị xã Đức Phổ"),
        ("TỈNH BẮC GLANG", "TỈNH BẮC GLANG"),  # too far from any name to guess
    ],
)
def test_place_names_take_the_unit_tables_spelling(read: str, spelled: str) -> None:
    assert respell_places(read) == spelled


def test_a_signer_without_a_family_name_goes_to_review(understander: Understander) -> None:
    page = _header(Page())
    page.at("Nơi nhận:", 300).at("TM. ỦY BAN NHÂN DÂN", 1500, same_line=True)
    page.at("- Như Điều 3;", 300).at("CHỦ TỊCH", 1560, same_line=True)
    page.at("- Lưu: VT, NC.", 300)
    page.at("Tiến Nguyên", 1520)  # "Nguyễn Bá" under the seal
    found = understander.understand([page.words])
    assert found.fields["signer_name"].status == "needs_review"


def test_a_printed_year_read_otherwise_again_goes_to_review(understander: Understander) -> None:
    page = _ending(_header(Page()))  # "năm 2025" printed, read by the page's OCR
    printed = _Hand(None, False, handwritten=False, readings=(_One("2026"), _One(None)))
    read, _ = _reader({"number": _Hand("87", True), "day": _Hand("05", True), "year": printed})
    found = understander.understand([page.words], read_blank=read)
    assert found.fields["issue_date"].value == "2025-02-05"
    assert found.fields["issue_date"].status == "needs_review"
    same = _Hand(None, False, handwritten=False, readings=(_One("2025"), _One(None)))
    read, _ = _reader({"number": _Hand("87", True), "day": _Hand("05", True), "year": same})
    assert (
        understander.understand([page.words], read_blank=read).fields["issue_date"].status == "ok"
    )
