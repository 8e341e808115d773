"""One-file-per-page scanners: stacks cut into documents at separator sheets and dossier
receipts, manifests that only the run itself may hand to the pipeline, and a real watcher."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import qrcode
from PIL import Image

from digitizer.errors import InputFileError
from digitizer.hotfolder.stacks import StackAssembler, cut_stack
from digitizer.ingest import IngestLimits, read_pages
from digitizer.profiles import _SEPARATOR_CODES, StackSettings
from digitizer.stackfile import manifest_for, read_manifest
from tests.test_watch import _page, _Service

DOSSIER = "000.12.24.H07-230315-0001"
RECEIPT = re.compile(r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z0-9]{2,4}-\d{6}-\d{4}$")
SETTINGS = StackSettings("pages", (re.compile(_SEPARATOR_CODES),), True, 2.0)


def _cut(
    codes: dict[str, list[str]], names: list[str]
) -> list[tuple[list[str], list[str], str | None]]:
    cuts = cut_stack([Path(n) for n in names], lambda p: codes.get(p.name, []), SETTINGS, RECEIPT)
    return [
        ([p.name for p in c.pages], [p.name for p in c.separators], c.dossier_code) for c in cuts
    ]


def test_a_stack_without_codes_is_one_document() -> None:
    assert _cut({}, ["1", "2", "3"]) == [(["1", "2", "3"], [], None)]


def test_separator_sheets_cut_and_are_left_out() -> None:
    codes = {"2": ["PATCH T"], "4": ["SEPARATOR"], "5": ["PATCHT"], "7": ["TÁCH"]}
    assert _cut(codes, [str(n) for n in range(1, 8)]) == [
        (["1"], ["2"], None),
        (["3"], ["4", "5"], None),  # back-to-back sheets are filed with the document before
        (["6"], ["7"], None),
    ]


def test_a_receipt_starts_a_dossier_and_links_what_follows() -> None:
    codes = {"1": [DOSSIER], "3": ["PATCH T"], "5": ["000.12.24.H07-230315-0002"], "6": ["x"]}
    assert _cut(codes, [str(n) for n in range(1, 7)]) == [
        (["1"], [], DOSSIER),
        (["2"], ["3"], DOSSIER),
        (["4"], [], DOSSIER),
        (["5"], [], "000.12.24.H07-230315-0002"),
        (["6"], [], "000.12.24.H07-230315-0002"),
    ]


def test_other_codes_neither_cut_nor_link() -> None:
    assert _cut({"2": ["https://example.vn/qr"], "3": ["PATCH T2"]}, ["1", "2", "3"]) == [
        (["1", "2", "3"], [], None)
    ]


def test_a_stack_is_due_after_its_window_and_in_natural_order(tmp_path: Path) -> None:
    stacks = StackAssembler(window_seconds=5)
    for name, at in (("scan10.png", 0.0), ("scan2.png", 1.0), ("scan1.png", 3.0)):
        stacks.add(tmp_path / name, at)
    assert stacks.due(7.9, lambda folder: False) == []
    assert stacks.due(8.0, lambda folder: True) == []  # a page is still being written
    assert stacks.due(8.0, lambda folder: False) == [
        [tmp_path / "scan1.png", tmp_path / "scan2.png", tmp_path / "scan10.png"]
    ]
    assert len(stacks) == 0


def _png(path: Path, image: Image.Image) -> Path:
    image.save(path, dpi=(300, 300))
    return path


def test_manifests_are_read_only_from_the_stacks_folder_and_catch_changed_pages(
    tmp_path: Path,
) -> None:
    page = _png(tmp_path / "p1.png", _page("TỜ KHAI\nHọ và tên: NGUYỄN VĂN AN"))
    stacks_dir = tmp_path / "stacks"
    manifest = manifest_for([page]).write(stacks_dir, "p1")
    limits = IngestLimits()
    assert len(read_pages(manifest, limits, stacks_dir=stacks_dir)) == 1
    dropped = tmp_path / "dropped.stack"
    dropped.write_bytes(manifest.read_bytes())
    with pytest.raises(InputFileError, match="only read from the run's own stacks folder"):
        read_pages(dropped, limits, stacks_dir=stacks_dir)
    with pytest.raises(InputFileError, match="only read"):
        read_pages(manifest, limits)
    _png(page, _page("TỜ KHAI\nHọ và tên: TRẦN THỊ BÌNH"))
    with pytest.raises(InputFileError, match="changed after the stack was cut"):
        read_pages(manifest, limits, stacks_dir=stacks_dir)
    assert read_manifest(manifest).pages[0].path == page


# ------------------------------------------------------------------ the real watcher


def _with_qr(text: str, value: str) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    qr.add_data(value)
    qr.make(fit=True)
    matrix = (1 - np.array(qr.get_matrix(), dtype=np.uint8)) * 255
    code = Image.fromarray(matrix).resize((matrix.shape[1] * 8,) * 2, Image.Resampling.NEAREST)
    page = _page(text, size=(1400, 700))
    page.paste(code, (1400 - code.width - 40, 700 - code.height - 40))
    return page


@pytest.fixture
def stacked(tmp_path: Path) -> Iterator[_Service]:
    svc = _Service(tmp_path, profile_extra='[stacks]\nmode = "pages"\nwindow_seconds = 3\n')
    yield svc
    if svc.proc is not None and svc.proc.poll() is None:
        svc.proc.kill()
        svc.proc.wait()


def test_the_watcher_cuts_a_stack_at_receipt_and_separator(stacked: _Service) -> None:
    pages = [
        _with_qr(f"PHIẾU TIẾP NHẬN HỒ SƠ\nMã hồ sơ: {DOSSIER}", DOSSIER),
        _page("TỜ KHAI ĐĂNG KÝ KHAI SINH\nHọ và tên: NGUYỄN VĂN AN"),
        _page("trang 2 của tờ khai\nNgười đi đăng ký: NGUYỄN VĂN BÌNH"),
        _with_qr("TÁCH HỒ SƠ", "PATCH T"),
        _page("ĐƠN ĐỀ NGHỊ\nHọ và tên: TRẦN THỊ HOA"),
    ]
    stacked.start()
    for n, page in enumerate(pages, start=1):
        _png(stacked.inbox / f"scan{n}.png", page)
    stacked.wait_filed(5, timeout=180)
    code, stderr = stacked.stop()
    assert code == 0, stderr
    filed = stacked.filed()
    assert sorted(p.name for p in filed) == [f"scan{n}.png" for n in range(1, 6)]
    assert all("processed" in p.parts for p in filed), stderr
    db = sqlite3.connect(stacked.home / "digitizer.db")
    try:
        documents = db.execute(
            "select d.source_name, count(p.id) from documents d join pages p "
            "on p.document_id = d.id group by d.id order by d.source_name"
        ).fetchall()
        links = db.execute("select detail from journal where event = 'dossier_link'").fetchall()
    finally:
        db.close()
    assert documents == [("scan1.stack", 1), ("scan2+1.stack", 2), ("scan5.stack", 1)]
    assert links == [(DOSSIER,)] * 3
    manifests = stacked.home / "work" / "stacks"
    assert manifests.is_dir() and not list(manifests.glob("*.stack"))  # removed once filed
