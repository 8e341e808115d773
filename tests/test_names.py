"""Name tables: OCR's accent misreads in capitals corrected, and the correction flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from digitizer.understanding.names import NameBook


@pytest.fixture(scope="module")
def book() -> NameBook:
    return NameBook.load()


@pytest.mark.parametrize(
    ("read", "spelled"),
    [
        ("TRẦN VĂN QUẦN", "TRẦN VĂN QUÂN"),  # "quần" (trousers) is no name
        ("CAO HƯU KHOA", "CAO HỮU KHOA"),
        ("NGUYỄN THÊ ĐỨC", "NGUYỄN THẾ ĐỨC"),
        ("NGGUYỄN THANH HƯƠNG", "NGUYỄN THANH HƯƠNG"),  # a doubled letter
        ("PHAẠM MẠNH VIỆT", "PHẠM MẠNH VIỆT"),
        ("TRẤN THỂ_ DUY", "TRẦN THẾ DUY"),
        ("PHẠM THU YÊN", "PHẠM THU YẾN"),  # a rare spelling beside a very common one
    ],
)
def test_misread_names_are_corrected_and_flagged(book: NameBook, read: str, spelled: str) -> None:
    spelling = book.spell(read)
    assert spelling.value == spelled
    assert spelling.changed


@pytest.mark.parametrize(
    "name", ["NGUYỄN VĂN AN", "LÊ THỊ HOA", "HOÀNG QUỐC VIỆT", "ĐẶNG THỊ THÚY", "LÊ HOÀNG AN"]
)
def test_correct_names_are_left_alone(book: NameBook, name: str) -> None:
    spelling = book.spell(name)
    assert spelling == spelling.__class__(name, False, True)


def test_an_unknown_word_is_kept_as_read_but_not_known(book: NameBook) -> None:
    spelling = book.spell("NGUYỄN VĂN XYZQ")
    assert spelling.value == "NGUYỄN VĂN XYZQ"
    assert not spelling.changed and not spelling.known


def test_an_office_extends_the_tables(tmp_path: Path) -> None:
    (tmp_path / "family_names.txt").write_text("# họ\nNguyễn\nHà\nHạ\n", encoding="utf-8")
    (tmp_path / "name_syllables.txt").write_text("Quân\t3\nQuần\t1\nYên\t1\n", encoding="utf-8")
    book = NameBook.load(tmp_path)
    assert book.spell("NGUYÊN QUẦN").value == "NGUYỄN QUÂN"  # rare beside common
    assert book.spell("HA YÊN").value == "HA YÊN"  # Hà/Hạ: nobody can pick; Yên stands
    assert not book.spell("HA YÊN").known


@pytest.mark.parametrize(
    ("word", "doubtful"),
    [
        ("BICH", True),
        ("BÍCH", False),
        ("THANH", False),
        ("THÀNH", False),
        ("KHOA", False),
        ("XYZ", False),
        ("QUẦN", True),
    ],
)
def test_a_word_spelled_as_no_name_is(book: NameBook, word: str, doubtful: bool) -> None:
    assert book.doubtful_word(word) is doubtful
