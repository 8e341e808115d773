"""Blank-page detection on pages made the way the generator makes scans (paper, stains, folds,
sensor noise, black-and-white thresholding), and on pages that must never be dropped."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from numpy.typing import NDArray
from PIL import Image

from digitizer.blank import is_blank
from samples.degrade import Degradation, make_paper, sensor, to_mode
from tests.cli import json_lines as _json_lines
from tests.cli import run_digitizer as _digitizer
from tests.test_cli_process import SCANS

DPI = 300
H, W = 3508, 2480


def _scan(page: NDArray[np.uint8], colour: str, seed: int) -> NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    d = Degradation(
        noise_sigma=12.0,
        blur_sigma=0.8,
        jpeg_quality=40 if colour != "bw" else None,
        stains=0,
        fold=False,
        bed_dark=False,
        ink_level=40,
        bw_threshold_shift=0,
    )
    img = sensor(page, d, rng)
    return np.asarray(to_mode(img, colour, 0).convert("L"), dtype=np.uint8)


def _paper(kind: str, seed: int) -> NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    return make_paper(H, W, kind, rng, stains=3 if kind == "archival" else 0, fold=True)


@pytest.mark.parametrize("kind", ["white", "archival", "pink"])
@pytest.mark.parametrize("colour", ["colour", "grey", "bw"])
def test_empty_backs_are_blank(kind: str, colour: str) -> None:
    page = _paper(kind, 1)
    page[:, :60] = 25  # the dark edge of the scanner bed
    assert is_blank(_scan(page, colour, 2), DPI)


def test_show_through_from_the_printed_side_is_blank() -> None:
    page = _paper("white", 3)
    text = np.zeros((H, W), dtype=np.uint8)
    for i in range(40):
        cv2.putText(
            text,
            "CONG HOA XA HOI CHU NGHIA VIET NAM",
            (200, 300 + 75 * i),
            cv2.FONT_HERSHEY_SIMPLEX,
            1.4,
            255,
            3,
        )
    mirrored = text[:, ::-1, None].astype(np.int16)
    faint = np.clip(page.astype(np.int16) - mirrored * 30 // 255, 0, 255).astype(np.uint8)
    assert is_blank(_scan(faint, "grey", 4), DPI)


def test_a_lone_signature_is_kept() -> None:
    page = _paper("white", 5)
    points = np.array(
        [[1500 + 5 * i, 2800 + int(50 * np.sin(i / 5))] for i in range(70)], dtype=np.int32
    )
    cv2.polylines(page, [points], False, (40, 40, 90), 4)
    assert not is_blank(_scan(page, "grey", 6), DPI)


@pytest.mark.parametrize("colour", ["colour", "bw"])
def test_one_short_handwritten_line_is_kept(colour: str) -> None:
    page = _paper("archival", 7)
    cv2.putText(
        page,
        "Da nhan ban chinh",
        (400, 1600),
        cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
        1.3,
        (30, 30, 30),
        3,
    )
    assert not is_blank(_scan(page, colour, 8), DPI)


def _with_blank_back(src: Path, out: Path) -> None:
    """A two-page TIFF: the sample's first page and an empty, noisy back."""
    with Image.open(src) as im:
        front = im.convert("L")
        dpi = im.info.get("dpi", (300, 300))
    back = _scan(
        make_paper(
            front.height, front.width, "white", np.random.default_rng(9), stains=0, fold=False
        ),
        "grey",
        10,
    )
    front.save(
        out, save_all=True, append_images=[Image.fromarray(back)], dpi=dpi, compression="tiff_lzw"
    )


def test_the_profile_drops_blank_backs_and_refuses_an_all_blank_file(tmp_path: Path) -> None:
    sample = sorted(SCANS.glob("*.tif"))[0]
    _with_blank_back(sample, tmp_path / "duplex.tif")
    empty = _scan(_paper("white", 11), "grey", 12)
    Image.fromarray(empty).save(tmp_path / "backs.tif", dpi=(300, 300))

    run = _digitizer(
        tmp_path / "home",
        "process",
        "--json",
        "--profile",
        "oss-counter",
        str(tmp_path / "duplex.tif"),
        str(tmp_path / "backs.tif"),
    )
    results = {Path(str(r["source"])).name: r for r in _json_lines(run.stdout)}
    duplex, backs = results["duplex.tif"], results["backs.tif"]
    assert duplex["status"] in ("registered", "needs_review"), duplex
    assert duplex["blank_pages_dropped"] == 1
    assert len(duplex["pages"]) == 1  # type: ignore[arg-type]
    with pikepdf.open(str(duplex["output"])) as pdf:
        assert len(pdf.pages) == 1
    assert backs["status"] == "failed"
    assert "blank" in str(backs["error"])
    assert run.returncode != 0

    kept = _digitizer(tmp_path / "home2", "process", "--json", str(tmp_path / "duplex.tif"))
    (result,) = _json_lines(kept.stdout)
    assert result["blank_pages_dropped"] == 0
    assert len(result["pages"]) == 2  # type: ignore[arg-type]
