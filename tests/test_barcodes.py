"""QR and barcode decoding with the real library (zxing-cpp), on committed and drawn pages."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from digitizer.barcodes import DecodedCode, decode_codes, library_version
from digitizer.ingest import IngestLimits, read_pages

SCANS = Path(__file__).resolve().parent.parent / "samples" / "scans"
DOSSIER_CODE = "000.12.24.H07-230315-0001"
A4_MM = (210, 297)


def _scan_for(stem: str) -> Path:
    (path,) = [p for p in SCANS.iterdir() if p.stem == stem and not p.name.endswith(".json")]
    return path


def _sample_pages() -> list[tuple[str, int, str | None]]:
    cases = []
    for truth_file in sorted(SCANS.glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        for i, page in enumerate(truth["pages"]):
            cases.append((truth_file.name.removesuffix(".truth.json"), i, page.get("qr")))
    return cases


def _blank_page(dpi: int, mode: str = "L") -> Image.Image:
    size = (round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi))
    return Image.new(mode, size, (255, 255, 255) if mode == "RGB" else 255)


def _qr(value: str, module_px: int) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    qr.add_data(value)
    qr.make(fit=True)
    matrix = (1 - np.array(qr.get_matrix(), dtype=np.uint8)) * 255
    side = matrix.shape[0] * module_px
    return Image.fromarray(matrix).resize((side, side), Image.Resampling.NEAREST)


def _code128(value: str, bar_px: int, height_px: int) -> Image.Image:
    """The bars from zxing-cpp's encoder (already a dependency), drawn to size with PIL."""
    bars = np.asarray(
        zxingcpp.create_barcode(value, zxingcpp.BarcodeFormat.Code128).to_image(
            scale=1, add_quiet_zones=True
        )
    )
    row = bars[bars.shape[0] // 2].astype(np.uint8)
    line = Image.fromarray(row.reshape(1, -1))
    return line.resize((row.size * bar_px, height_px), Image.Resampling.NEAREST)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size)


def _text_page(dpi: int) -> Image.Image:
    page = _blank_page(dpi)
    draw = ImageDraw.Draw(page)
    font = _font(round(dpi * 13 / 72))
    lines = [
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "Mã hồ sơ: 000.12.24.H07-230315-0001",
        "Họ và tên: NGUYỄN VĂN AN, CCCD số: 024070001234",
        "Thửa đất số 125, tờ bản đồ số 12, diện tích 1.171,9 m²",
        "||| Ill 1111 lllI |||| 0000 8888 —— ==== IIII",
    ]
    y = dpi
    for i in range(40):
        draw.text((dpi, y), lines[i % len(lines)], font=font, fill=0)
        y += round(dpi * 0.25)
    return page


def _seal(page: Image.Image, dpi: int, qr_box: tuple[int, int, int, int]) -> Image.Image:
    """A red seal whose rings cross the lower-left quarter of the QR (ink multiplies)."""
    left, top, side, _ = qr_box
    mm = dpi / 25.4
    r = 18 * mm
    cx, cy = left - 0.5 * r + 0.3 * side, top + side + 0.5 * r - 0.3 * side
    mask = Image.new("L", page.size, 0)
    draw = ImageDraw.Draw(mask)
    for radius, width in ((r, 1.0), (0.72 * r, 0.5)):
        draw.ellipse(
            [cx - radius, cy - radius, cx + radius, cy + radius],
            outline=220,
            width=round(width * mm),
        )
    for k in range(36):  # the ring's letters, as short strokes
        a = 2 * math.pi * k / 36
        x, y = cx + 0.85 * r * math.cos(a), cy + 0.85 * r * math.sin(a)
        draw.rectangle([x - 0.6 * mm, y - 0.9 * mm, x + 0.6 * mm, y + 0.9 * mm], fill=200)
    alpha = np.asarray(mask, dtype=np.float32)[:, :, None] / 255.0
    red = np.array([205, 35, 50], dtype=np.float32) / 255.0
    rgb = np.asarray(page.convert("RGB"), dtype=np.float32) * (1.0 - alpha * (1.0 - red))
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def _values(codes: list[DecodedCode], kind: str) -> list[str]:
    return [c.value for c in codes if c.kind == kind]


# ------------------------------------------------------------------ committed samples


@pytest.mark.parametrize(("stem", "index", "qr"), [c for c in _sample_pages() if c[2]])
def test_decodes_the_qr_of_committed_samples(stem: str, index: int, qr: str) -> None:
    page = read_pages(_scan_for(stem), IngestLimits())[index]
    codes = decode_codes(page.image, page.dpi)
    assert _values(codes, "QR_CODE") == [qr]


def test_committed_samples_include_qr_pages() -> None:
    assert len([c for c in _sample_pages() if c[2]]) >= 2


def test_no_code_on_committed_pages_without_qr() -> None:
    """Text, tables, frames, signatures and seals: no false hit on any of them."""
    for stem, index, qr in _sample_pages():
        if qr is None:
            page = read_pages(_scan_for(stem), IngestLimits())[index]
            assert decode_codes(page.image, page.dpi) == [], f"{stem} page {index}"


# ---------------------------------------------------------------------- drawn pages


def test_qr_turned_90_and_skewed_5_degrees() -> None:
    page = _blank_page(200)
    page.paste(_qr(DOSSIER_CODE, 5), (1200, 150))
    turned = page.transpose(Image.Transpose.ROTATE_90)
    skewed = turned.rotate(5.0, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    codes = decode_codes(skewed, 200)
    assert _values(codes, "QR_CODE") == [DOSSIER_CODE]


def test_box_is_in_the_given_image_coordinates() -> None:
    """The fast pass runs on a downscaled copy: its box must come back at full scale."""
    page = _blank_page(300)
    tile = _qr(DOSSIER_CODE, 8)
    page.paste(tile, (1700, 200))
    (code,) = decode_codes(page, 300)
    quiet = 4 * 8  # the tile includes a 4-module quiet zone
    assert abs(code.left - (1700 + quiet)) <= 6
    assert abs(code.top - (200 + quiet)) <= 6
    assert abs(code.width - (tile.width - 2 * quiet)) <= 10
    assert abs(code.height - (tile.height - 2 * quiet)) <= 10


def test_vietnamese_text_comes_back_as_nfc() -> None:
    text = "Lê Thị Hòa, thửa đất số 125, Xã Tân Dĩnh"
    page = _blank_page(200)
    page.paste(_qr(unicodedata.normalize("NFD", text), 4), (1100, 150))
    codes = decode_codes(page, 200)
    assert _values(codes, "QR_CODE") == [unicodedata.normalize("NFC", text)]


def test_dense_qr_needs_the_full_resolution_retry(caplog: pytest.LogCaptureFixture) -> None:
    """0.25 mm modules, a little blurred: seen but not decoded at 150 dpi, read at 300."""
    caplog.set_level(logging.DEBUG, logger="digitizer.barcodes")
    value = "https://dichvucong.gov.vn/tra-cuu?ma_ho_so=" + DOSSIER_CODE + "&gcn=CS123456"
    page = _blank_page(300)
    page.paste(_qr(value, 3), (1800, 150))  # 3 px = 0.25 mm
    page = page.filter(ImageFilter.GaussianBlur(0.7))
    assert _values(decode_codes(page, 300), "QR_CODE") == [value]
    assert "retrying at 300 dpi" in caplog.text


def test_qr_under_a_red_seal_in_colour_and_in_grey(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="digitizer.barcodes")
    page = _blank_page(200, "RGB")
    tile = _qr(DOSSIER_CODE, 6)
    x, y = 1150, 250
    page.paste(tile.convert("RGB"), (x, y))
    sealed = _seal(page, 200, (x + 24, y + 24, tile.width - 48, tile.height - 48))
    assert _values(decode_codes(sealed, 200), "QR_CODE") == [DOSSIER_CODE]  # red channel
    assert "darkest ink" not in caplog.text
    grey = sealed.convert("L")  # the seal is now as dark as a module for a local threshold
    assert _values(decode_codes(grey, 200), "QR_CODE") == [DOSSIER_CODE]
    assert "darkest ink" in caplog.text


@pytest.mark.parametrize("turn", [None, Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270])
def test_code128_separator_sheet(turn: Image.Transpose | None) -> None:
    value = "TACH-HS-" + DOSSIER_CODE
    page = _blank_page(300)
    bars = _code128(value, 4, 180)  # 0.34 mm bars, 15 mm high
    page.paste(bars, (300, 500))
    if turn is not None:
        page = page.transpose(turn)
    (code,) = decode_codes(page, 300)
    assert (code.kind, code.value) == ("CODE_128", value)
    if turn is None:
        assert 250 <= code.left <= 300 + 40 and 500 <= code.top <= 500 + 180
        assert code.width >= bars.width * 0.8
    else:
        assert code.height >= bars.width * 0.8  # the bars run down the page


def test_numpy_grey_and_rgb_and_one_bit_inputs() -> None:
    page = _blank_page(200)
    page.paste(_qr(DOSSIER_CODE, 5), (1100, 150))
    rgb = np.asarray(page.convert("RGB"))
    for image in (np.asarray(page), rgb, page.convert("1"), page.convert("RGB")):
        assert _values(decode_codes(image, 200), "QR_CODE") == [DOSSIER_CODE]


def test_unknown_dpi_is_guessed_not_fatal() -> None:
    page = _blank_page(200)
    page.paste(_qr(DOSSIER_CODE, 5), (1100, 150))
    assert _values(decode_codes(page, 0.0), "QR_CODE") == [DOSSIER_CODE]
    assert _values(decode_codes(page, float("nan")), "QR_CODE") == [DOSSIER_CODE]


# ------------------------------------------------------------------------ no code


@pytest.mark.parametrize("mode", ["L", "RGB", "1"])
def test_blank_page_has_no_code(mode: str) -> None:
    assert decode_codes(_blank_page(300, mode), 300) == []


def test_text_page_has_no_code() -> None:
    page = _text_page(300)
    assert decode_codes(page, 300) == []
    assert decode_codes(page.transpose(Image.Transpose.ROTATE_90), 300) == []


def test_tiny_and_empty_images() -> None:
    assert decode_codes(Image.new("L", (1, 1), 255), 300) == []
    assert decode_codes(np.zeros((0, 0), dtype=np.uint8), 300) == []


def test_wrong_array_type_is_a_caller_error() -> None:
    with pytest.raises(TypeError):
        decode_codes(np.zeros((100, 100), dtype=np.float32), 300)


def test_result_is_frozen_and_library_named() -> None:
    code = DecodedCode("QR_CODE", "x", 0, 0, 1, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        code.value = "y"  # type: ignore[misc]
    assert library_version().startswith("zxing-cpp ")
