"""Handwritten numbers and days in printed blanks: the second recognizer and the rule.

Real outcomes on the bundled real letter (``tests/data/real/cv574.pdf``: "Số: 574
/UBND-KTTH", "ngày 04 tháng 02", number and day handwritten, month printed) and on synthetic
lines whose digits are written in blue with OpenCV's Hershey script font.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from digitizer import line_reader
from digitizer.handwriting import BlankReading, FieldKind, parse_value, read_blank, read_blanks
from digitizer.ingest import IngestLimits, iter_pages
from digitizer.line_reader import (
    AsterLineReader,
    LineReading,
    TesseractLineReader,
    aster_available,
    aster_version,
)
from digitizer.ocr import find_tessdata, open_engine

REAL = Path(__file__).parent / "data" / "real" / "cv574.pdf"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
BLUE = (30, 50, 160)


@pytest.fixture(scope="module")
def cv574() -> tuple[NDArray[np.uint8], tuple[int, int, int, int]]:
    """Page 1 of the real letter and the box of its "Số: … ngày … tháng … năm" line, as the
    pipeline's OCR gives it (Tesseract puts both header columns on one line)."""
    page = next(iter_pages(REAL, IngestLimits()))
    engine = open_engine("tesserocr", ["vie"], find_tessdata())
    words = engine.recognize(np.asarray(page.image.convert("L")), page.dpi).words
    engine.close()
    lines = defaultdict(list)
    for w in words:
        lines[(w.block, w.line)].append(w)
    line = next(ws for ws in lines.values() if any(w.text.startswith("Số") for w in ws))
    assert any("ngày" in w.text for w in line), "the two header columns are one OCR line"
    x0, y0 = min(w.left for w in line), min(w.top for w in line)
    x1, y1 = max(w.left + w.width for w in line), max(w.top + w.height for w in line)
    return np.asarray(page.image.convert("RGB")), (x0, y0, x1 - x0, y1 - y0)


def test_real_letter_day_is_accepted_and_number_goes_to_a_clerk(cv574: tuple) -> None:
    page, box = cv574
    result = read_blanks(page, box, ["number", "day", "month"])
    number, day, month = result["number"], result["day"], result["month"]
    # The number 574 (a crossed 7): asterocr reads it, Tesseract reads 514: no agreement,
    # so it goes to a clerk, never accepted as 514.
    assert number.readings[0].recognizer == "asterocr"
    assert number.readings[0].value == "574"
    assert number.value in (None, "574")
    assert not number.agreed
    assert "disagree" in number.reason
    # The day 04: both read it.
    assert day.agreed and day.value == "04"
    assert {r.value for r in day.readings} == {"04"}
    # The handwritten values are told from the printed month by their stroke width.
    assert number.handwritten and day.handwritten
    assert not month.handwritten
    assert month.agreed and month.value == "02"
    for blank in (number, day):
        left, _, width, height = blank.crop_box
        assert box[0] <= left < box[0] + box[2] and width < 3 * height
        assert blank.ink.stroke_ratio is not None and blank.ink.stroke_ratio > 1.5
        assert blank.ink.colour_shift is not None and abs(blank.ink.colour_shift) < 25
    # The number sits left of the day, where the page says.
    assert number.crop_box[0] < box[0] + box[2] // 4 < day.crop_box[0]


def test_one_blank_alone_gives_the_same_outcome(cv574: tuple) -> None:
    page, box = cv574
    day = read_blank(page, box, "day")
    assert day.agreed and day.value == "04"
    grey = np.asarray(Image.fromarray(page).convert("L"))
    day_grey = read_blank(grey, box, "day")
    assert day_grey.value == "04" and day_grey.ink.colour_shift is None


def _pen(image: NDArray[np.uint8], text: str, x: int, baseline: int, slant: float) -> None:
    """Write ``text`` in blue into ``image`` with OpenCV's Hershey script font, slanted."""
    h, w = image.shape[:2]
    ink = np.zeros((h, w), np.uint8)
    cv2.putText(ink, text, (x, baseline), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.7, 255, 3, cv2.LINE_AA)
    shear = np.array([[1, -slant, slant * baseline], [0, 1, 0]], np.float32)
    slanted = np.asarray(cv2.warpAffine(ink, shear, (w, h)), np.float32)
    a = (slanted / 255)[..., None]
    image[:] = (image * (1 - a) + np.array(BLUE, np.float32) * a).astype(np.uint8)


def _synthetic_line(number: str, day: str, slant: float = 0.2) -> NDArray[np.uint8]:
    """A printed "Số: … /QĐ-UBND   Quảng Ngãi, ngày … tháng 02 năm 2025" line at 300 dpi
    (DejaVu Serif, black) with the number and the day written in blue."""
    img = Image.new("RGB", (1900, 160), "white")
    draw = ImageDraw.Draw(img)
    roman = ImageFont.truetype(str(FONT), 50)
    italic = ImageFont.truetype(str(FONT.with_name("DejaVuSerif-Italic.ttf")), 50)
    for x, text, font in (
        (40, "Số:", roman),
        (300, "/QĐ-UBND", roman),
        (800, "Quảng Ngãi, ngày", italic),
        (1400, "tháng 02 năm 2025", italic),
    ):
        draw.text((x, 100), text, font=font, fill=(20, 20, 20), anchor="ls")
    line = np.array(img)
    _pen(line, number, 160, 100, slant)
    _pen(line, day, 1265, 100, slant)
    return line


@pytest.mark.parametrize(("number", "day"), [("87", "05"), ("239", "16"), ("4", "31")])
def test_blue_handwriting_in_a_printed_line_is_read_twice(number: str, day: str) -> None:
    line = _synthetic_line(number, day)
    result = read_blanks(line, (30, 40, 1850, 75), ["number", "day", "month"])
    expected_values: tuple[tuple[FieldKind, str], ...] = (("number", number), ("day", day))
    for field, expected in expected_values:
        blank: BlankReading = result[field]
        assert blank.agreed, blank.reason
        assert blank.value == expected
        assert blank.handwritten
        assert blank.ink.colour_shift is not None and blank.ink.colour_shift > 25
        assert "colour" in blank.ink.note
    assert result["month"].value == "02" and not result["month"].handwritten


@pytest.mark.parametrize(("number", "day", "field"), [("1", "11", "number"), ("4", "31", "day")])
def test_disagreeing_readings_are_never_accepted(number: str, day: str, field: str) -> None:
    """Steeply slanted (0.4), asterocr took the "1" for "2" (the readings disagree) and
    Tesseract the "31" for "51" (no day: fails the check) when this was written: either
    recognizer alone would have filed a wrong value."""
    line = _synthetic_line(number, day, slant=0.4)
    blank = read_blank(line, (30, 40, 1850, 75), field)  # type: ignore[arg-type]
    first, second = (r.text for r in blank.readings)
    assert first and second and first != second
    assert not blank.agreed and blank.value is None
    assert blank.reason.startswith(("the recognizers disagree", "only one")) and blank.handwritten
    assert blank.crop_box[2] > 0 and blank.crop_box[3] > 0


def _digits_crop(text: str, slant: float = 0.2) -> NDArray[np.uint8]:
    """Blue script digits on white, cut to the ink with a little margin."""
    image = np.full((130, 60 * len(text) + 90, 3), 255, np.uint8)
    _pen(image, text, 30, 90, slant)
    ys, xs = np.nonzero(image.min(axis=2) < 200)
    return image[ys.min() - 4 : ys.max() + 5, xs.min() - 4 : xs.max() + 5]


@pytest.mark.parametrize("text", ["87", "05", "574", "16", "239"])
def test_aster_reads_blue_digits(text: str) -> None:
    reading = AsterLineReader().read(_digits_crop(text), allowed="0123456789")
    assert reading.text == text
    assert reading.confidence is not None and 0 < reading.confidence <= 1


def test_aster_reads_upright_and_slanted_digits() -> None:
    values = ["87", "05", "574", "16", "239", "22", "03", "90", "47", "17"]
    reader = AsterLineReader()
    for slant in (0.0, 0.35):
        read = [reader.read(_digits_crop(v, slant), allowed="0123456789").text for v in values]
        assert read == values


def test_aster_reads_grey_and_unrestricted() -> None:
    crop = np.asarray(Image.fromarray(_digits_crop("87")).convert("L"))
    assert AsterLineReader().read(crop).text == "87"


def test_model_is_loaded_once_per_process() -> None:
    AsterLineReader().read(_digits_crop("5"))
    session = line_reader._session
    assert session is not None
    AsterLineReader().read(_digits_crop("6"))
    assert line_reader._session is session
    assert aster_available() and aster_version().startswith("asterocr 1.")


@pytest.mark.parametrize(
    "crop",
    [
        np.zeros((0, 0), np.uint8),
        np.zeros((0, 40, 3), np.uint8),
        np.full((1, 1), 255, np.uint8),
        np.full((30, 80, 3), 255, np.uint8),
        np.zeros((5, 5, 7), np.uint8),
        np.full((20, 20, 4), 255, np.uint8),
    ],
    ids=["empty", "no-rows", "one-pixel", "blank", "seven-channels", "rgba-blank"],
)
def test_odd_crops_give_an_empty_reading(crop: NDArray[np.uint8]) -> None:
    assert AsterLineReader().read(crop) == LineReading("", None)
    assert TesseractLineReader("eng", digits=True).read(crop).text == ""


def test_a_60_to_1_line_is_split_not_crashed() -> None:
    """The model's positional encoding holds 256 steps (a 32:1 crop): wider lines are cut
    at the emptiest columns and read piece by piece."""
    digits = _digits_crop("574")
    h = digits.shape[0]
    line = np.full((h, 60 * h, 3), 255, np.uint8)
    for x in range(0, line.shape[1] - digits.shape[1], line.shape[1] // 6):
        line[:, x : x + digits.shape[1]] = digits
    reading = AsterLineReader().read(line, allowed="0123456789")
    assert reading.text.replace(" ", "").count("574") >= 4
    assert AsterLineReader().read(np.full((10, 600), 255, np.uint8)).text == ""
    float_line = line.astype(np.float64) / 255.0
    assert AsterLineReader().read(float_line, allowed="0123456789").text == reading.text


def test_nothing_raises_for_a_bad_page_or_box() -> None:
    page = np.full((200, 300, 3), 255, np.uint8)
    for box in [(0, 0, 0, 0), (1000, 1000, 50, 20), (10, 10, 280, 40)]:
        blank = read_blank(page, box, "day")
        assert not blank.agreed and blank.value is None
    assert not read_blank(np.zeros((0, 0)), (0, 0, 10, 10), "number").agreed


@pytest.mark.parametrize(
    ("text", "field", "context", "value"),
    [
        ("87", "number", False, "87"),
        ("87/QĐ-UBND", "number", False, "87"),
        ("Số: 87 /QĐ-UBND", "number", True, "87"),
        ("ngày 05 tháng", "day", True, "05"),
        ("5", "day", False, "05"),
        ("32", "day", False, None),
        ("0", "day", False, None),
        ("13", "month", False, None),
        ("O5", "day", False, None),  # no letter becomes a digit
        ("]5", "day", False, None),  # "]" may be a 1: never stripped
        ("123456", "number", False, None),
        ("", "number", False, None),
        ("٥", "day", False, None),  # a non-ASCII digit
    ],
)
def test_parse_value_checks(text: str, field: str, context: bool, value: str | None) -> None:
    assert parse_value(text, field, context=context) == value  # type: ignore[arg-type]
