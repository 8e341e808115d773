"""A page that is not Vietnamese is read again in another language; Vietnamese pages are
never taken for foreign ones."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from digitizer.language import is_vietnamese_syllable, reads_as_foreign, vietnamese_share
from digitizer.ocr import OcrEngine
from tests.cli import run_digitizer
from tests.test_resolution import engine, page

__all__ = ["engine", "page"]  # the real letter and the engine of tests/test_resolution.py

ENGLISH = [
    "This is a test document.",
    "The committee received your letter of",
    "the third of March and will answer it",
    "within thirty working days. Please send",
    "the certified copies of the birth record",
    "and the passport to the office below.",
]


def test_syllables_of_vietnamese_and_of_other_languages() -> None:
    for word in ("Nguyễn", "quyết", "định", "nghiêng", "THÀNH", "Tỉnh", "ủy", "giấy", "khoản"):
        assert is_vietnamese_syllable(word), word
    for word in ("This", "Thịs", "test", "documernt", "received", "March", "passport"):
        assert not is_vietnamese_syllable(word), word


def test_a_real_vietnamese_letter_is_not_taken_for_a_foreign_one(
    engine: OcrEngine, page: NDArray[np.uint8]
) -> None:
    words = engine.recognize(page, 300).words
    share = vietnamese_share(words)
    assert share is not None and share > 0.8, share
    assert not reads_as_foreign(words)


def _english_page(path: Path) -> Path:
    img = Image.new("L", (2480, 1400), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 48)
    for row, line in enumerate(ENGLISH):
        draw.text((200, 150 + row * 160), line, fill=0, font=font)
    img.save(path, dpi=(300, 300))
    return path


def test_an_english_page_is_read_in_english(tmp_path: Path) -> None:
    scan = _english_page(tmp_path / "letter-from-abroad.png")
    done = run_digitizer(tmp_path / "home", "process", "--json", str(scan))
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)["output"]
    text = subprocess.run(
        ["pdftotext", "-layout", output, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "This is a test document." in text, text
    assert "will answer it" in text  # as Vietnamese: "wIll answer 1t"
