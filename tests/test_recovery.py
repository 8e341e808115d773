"""The second OCR pass re-reads the text the page pass left unread, and nothing twice."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from digitizer import geometry
from digitizer.ingest import IngestLimits, read_pages
from digitizer.ocr import OcrEngine, PageText, find_tessdata, open_engine
from digitizer.recovery import overlaps, recover_missed_text

SCANS = Path(__file__).resolve().parent.parent / "samples" / "scans"


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return open_engine("tesserocr", ["vie"], find_tessdata())


@pytest.fixture(scope="module")
def upright_page() -> tuple[NDArray[np.uint8], float, list[str]]:
    for truth_file in sorted(SCANS.glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        page = truth["pages"][0]
        if page["rotation"] == 0 and page["skew_deg"] == 0 and len(page["lines"]) > 10:
            stem = truth_file.name.removesuffix(".truth.json")
            scan = next(p for p in SCANS.iterdir() if p.stem == stem and p.suffix != ".json")
            first = read_pages(scan, IngestLimits())[0]
            return geometry.to_gray(first.image), first.dpi, page["lines"]
    pytest.fail("the committed samples need an upright, unskewed page with text")


def _no_word_twice(text: PageText) -> None:
    for a, b in itertools.combinations(text.words, 2):
        assert not overlaps(a, b), f"{a.text!r} and {b.text!r} cover the same ink"


def test_withheld_lines_are_read_again_and_nothing_twice(upright_page, engine) -> None:  # type: ignore[no-untyped-def]
    gray, dpi, _ = upright_page
    full = engine.recognize(gray, dpi)
    lines = sorted({w.line for w in full.words})
    withheld = set(lines[3:5])  # as if layout analysis had called them a picture
    partial = PageText([w for w in full.words if w.line not in withheld])
    recovered = recover_missed_text(gray, dpi, partial, engine)
    missing = [w.text for w in full.words if w.line in withheld]
    new = [w.text for w in recovered.words[len(partial.words) :]]
    found = sum((Counter(new) & Counter(missing)).values())
    assert found >= 0.8 * len(missing), (missing, new)
    assert recovered.words[: len(partial.words)] == partial.words
    _no_word_twice(recovered)


def test_the_second_pass_finds_truth_words_the_first_missed(upright_page, engine) -> None:  # type: ignore[no-untyped-def]
    gray, dpi, truth_lines = upright_page
    full = engine.recognize(gray, dpi)
    recovered = recover_missed_text(gray, dpi, full, engine)
    truth = Counter(w for line in truth_lines for w in line.split())
    before = sum((Counter(w.text for w in full.words) & truth).values())
    after = sum((Counter(w.text for w in recovered.words) & truth).values())
    # this page's underlined headings are left out by Tesseract's layout analysis
    assert after > before, "the second pass found nothing the first pass missed"
    _no_word_twice(recovered)
