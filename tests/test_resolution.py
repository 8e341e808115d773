"""Small text is read from an enlarged page, decided per page; pages already fine are read as
they are. Measured on a real scan (tests/data/real, from shared/real-dev), brought down to
100 dpi as an archive's scanner would deliver it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image
from rapidfuzz.distance import Levenshtein

from digitizer.ocr import OcrEngine, PageText, find_tessdata, open_engine
from digitizer.resolution import enlargement_for, glyph_height, read_page
from tests.cli import run_digitizer

ROOT = Path(__file__).resolve().parent.parent
LETTER = ROOT / "tests" / "data" / "real" / "cv574.pdf"  # an official letter, 300 dpi


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return open_engine("tesserocr", ["vie"], find_tessdata())


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> NDArray[np.uint8]:
    assert LETTER.is_file(), f"the real scans are missing: {LETTER}"
    out = tmp_path_factory.mktemp("real") / "letter"
    subprocess.run(
        ["pdftoppm", "-r", "300", "-gray", "-png", "-f", "1", "-l", "1", str(LETTER), str(out)],
        check=True,
    )
    (png,) = out.parent.glob("letter*.png")
    with Image.open(png) as img:
        return np.asarray(img.convert("L"))


def _low(page: NDArray[np.uint8]) -> NDArray[np.uint8]:
    small = cv2.resize(page, None, fx=1 / 3, fy=1 / 3, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small, dtype=np.uint8)


def _text(read: PageText) -> str:
    return " ".join(w.text for w in read.words)


def test_the_decision_follows_the_text_not_the_claimed_resolution(
    page: NDArray[np.uint8],
) -> None:
    full = glyph_height(page)
    assert full is not None and 20 <= full <= 36
    low = glyph_height(_low(page))
    assert low is not None and low < 16
    assert enlargement_for(page) == 1.0
    assert enlargement_for(_low(page)) == 2.0
    blank = np.full((3508, 2480), 250, dtype=np.uint8)
    cv2.circle(blank, (1800, 2900), 180, 200, 6)  # a faded stamp alone: nothing to measure
    assert glyph_height(blank) is None and enlargement_for(blank) == 1.0


def test_a_100_dpi_page_reads_closer_to_its_300_dpi_reading(
    engine: OcrEngine, page: NDArray[np.uint8]
) -> None:
    reference = _text(engine.recognize(page, 300))
    low = _low(page)
    raw = _text(engine.recognize(low, 100))
    read = read_page(engine, low, 100)
    ours = _text(read)
    cer = {
        k: Levenshtein.distance(v, reference) / len(reference)
        for k, v in (("raw", raw), ("ours", ours))
    }
    assert cer["ours"] < 0.8 * cer["raw"], cer
    height, width = low.shape
    for word in read.words:  # boxes in the page's own pixels, not the enlarged image's
        assert word.left >= 0 and word.left + word.width <= width + 1
        assert word.top >= 0 and word.top + word.height <= height + 1


def test_a_page_already_fine_is_read_as_it_is(engine: OcrEngine, page: NDArray[np.uint8]) -> None:
    assert read_page(engine, page, 300).words == engine.recognize(page, 300).words


def test_a_page_with_a_faded_stamp_alone_is_kept_as_scanned(tmp_path: Path) -> None:
    """The letter's second page holds only its faded red seal: nothing to tell up from down
    by, so it is neither turned nor deskewed (it was turned by 180 degrees and skewed by
    11.8 before) and not enlarged."""
    out = tmp_path / "seal"
    subprocess.run(
        ["pdftoppm", "-r", "300", "-gray", "-png", "-f", "2", "-l", "2", str(LETTER), str(out)],
        check=True,
    )
    (png,) = tmp_path.glob("seal*.png")
    with Image.open(png) as img:
        assert glyph_height(np.asarray(img.convert("L"))) is None
    done = run_digitizer(tmp_path / "home", "process", "--json", str(png))
    assert done.returncode == 0, done.stderr
    (page_report,) = json.loads(done.stdout)["pages"]
    assert (page_report["rotation"], page_report["skew_deg"]) == (0, 0.0), page_report
