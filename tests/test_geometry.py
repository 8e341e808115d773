"""Orientation and deskew, measured against the ground truth of generated scans."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitizer import geometry
from digitizer.ingest import IngestLimits, read_pages

SCANS = Path(__file__).resolve().parent.parent / "samples" / "scans"


def _truth_pages() -> list[tuple[str, int, dict[str, object]]]:
    cases = []
    for truth_file in sorted(SCANS.glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        for i, page in enumerate(truth["pages"]):
            if page["lines"]:
                cases.append((truth_file.name.removesuffix(".truth.json"), i, page))
    return cases


def _scan_for(stem: str) -> Path:
    (path,) = [p for p in SCANS.iterdir() if p.stem == stem and not p.name.endswith(".json")]
    return path


def test_committed_samples_cover_rotations_and_skew() -> None:
    pages = [page for _, _, page in _truth_pages()]
    assert {p["rotation"] for p in pages} == {0, 90, 180, 270}
    assert max(abs(float(p["skew_deg"])) for p in pages) > 3  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stem", "index", "truth"),
    _truth_pages(),
    ids=lambda v: str(v) if not isinstance(v, dict) else "",
)
def test_sample_page_orientation_and_skew(stem: str, index: int, truth: dict[str, object]) -> None:
    page = read_pages(_scan_for(stem), IngestLimits())[index]
    g = geometry.measure(geometry.to_gray(page.image), page.dpi)
    assert g.rotation == truth["rotation"]
    assert abs(g.skew_deg - float(truth["skew_deg"])) < 0.3  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def upright_page() -> tuple[Image.Image, float]:
    for stem, index, truth in _truth_pages():
        if truth["rotation"] == 0 and abs(float(truth["skew_deg"])) < 0.01:  # type: ignore[arg-type]
            page = read_pages(_scan_for(stem), IngestLimits())[index]
            return page.image.convert("RGB"), page.dpi
    pytest.fail("the committed samples need one upright page without skew")


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("skew", [-9.5, -4.2, 0.0, 0.7, 6.3])
def test_every_quarter_turn_and_skew_is_undone(
    upright_page: tuple[Image.Image, float], rotation: int, skew: float
) -> None:
    img, dpi = upright_page
    scanned = img.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor="white")
    scanned = scanned.rotate(-rotation, expand=True)  # turned clockwise on the scanner
    g = geometry.measure(geometry.to_gray(scanned), dpi)
    assert g.rotation == rotation
    assert abs(g.skew_deg - skew) < 0.3

    restored = geometry.apply(scanned, g)
    assert restored.size == img.size
    again = geometry.measure(geometry.to_gray(restored), dpi)
    assert again.rotation == 0
    assert abs(again.skew_deg) < 0.3


def test_blank_page_is_left_alone() -> None:
    blank = Image.new("L", (1654, 2339), 250)
    g = geometry.measure(geometry.to_gray(blank), 200)
    assert g.blank and g.rotation == 0 and g.skew_deg == 0


def test_bilevel_page_stays_bilevel_after_deskew(upright_page: tuple[Image.Image, float]) -> None:
    img, dpi = upright_page
    bw = img.convert("L").rotate(3.0, fillcolor=255).point(lambda v: 255 if v > 150 else 0)
    bw = bw.convert("1")
    g = geometry.measure(geometry.to_gray(bw), dpi)
    out = geometry.apply(bw, g)
    assert out.mode == "1"
    assert abs(g.skew_deg - 3.0) < 0.3
    assert np.asarray(out).mean() > 0.8  # still mostly paper: the fill is white, not black
