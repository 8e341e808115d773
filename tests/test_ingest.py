"""Ingest: every format scanners write comes in with its resolution; hostile files fail cleanly."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw

from digitizer.errors import EncryptedInputError, InputFileError, OversizedInputError
from digitizer.ingest import IngestLimits, read_pages

LIMITS = IngestLimits(default_dpi=300)


def _page(mode: str = "RGB", size: tuple[int, int] = (400, 560)) -> Image.Image:
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((50, 60, 300, 80), fill="black")
    draw.ellipse((200, 300, 320, 420), outline=(200, 0, 0), width=6)
    if mode == "1":
        return img.convert("L").point(lambda v: 255 if v > 128 else 0).convert("1")
    return img.convert(mode)


@pytest.mark.parametrize("compression", ["group4", "tiff_lzw", "jpeg"])
def test_multipage_tiff_each_compression(tmp_path: Path, compression: str) -> None:
    mode = "1" if compression == "group4" else "RGB"
    frames = [_page(mode), _page(mode), _page(mode)]
    path = tmp_path / f"scan-{compression}.tif"
    frames[0].save(
        path, compression=compression, save_all=True, append_images=frames[1:], dpi=(200, 200)
    )
    pages = read_pages(path, LIMITS)
    assert len(pages) == 3
    assert all(p.dpi == pytest.approx(200) for p in pages)
    assert pages[0].image.size == (400, 560)
    assert pages[0].source_mode == ("bw" if mode == "1" else "colour")


def test_tiff_without_resolution_uses_profile_default(tmp_path: Path) -> None:
    path = tmp_path / "nores.tif"
    _page("L").save(path, compression="tiff_lzw")
    (page,) = read_pages(path, IngestLimits(default_dpi=250))
    assert page.dpi == 250
    assert page.image.mode == "L"


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    _page("CMYK").save(path, dpi=(300, 300))
    (page,) = read_pages(path, LIMITS)
    assert page.image.mode == "RGB"
    assert page.dpi == 300


@pytest.mark.parametrize("mode", ["RGBA", "P"])
def test_png_with_alpha_or_palette_is_flattened_on_white(tmp_path: Path, mode: str) -> None:
    img = Image.new("RGBA", (100, 100), (0, 0, 255, 0))
    ImageDraw.Draw(img).rectangle((10, 10, 30, 30), fill=(0, 0, 0, 255))
    path = tmp_path / "alpha.png"
    if mode == "P":
        pal = img.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
        pal.info["transparency"] = pal.getpixel((90, 90))
        pal.save(path, dpi=(200, 200), transparency=pal.getpixel((90, 90)))
    else:
        img.save(path, dpi=(200, 200))
    (page,) = read_pages(path, LIMITS)
    arr = np.asarray(page.image)
    assert page.image.mode == "RGB"
    assert arr[80, 80].tolist() == [255, 255, 255]  # transparent became paper, not black
    assert arr[20, 20].tolist() == [0, 0, 0]


def test_unequal_dpi_is_resampled_to_square_pixels(tmp_path: Path) -> None:
    path = tmp_path / "fax.tif"
    _page("L", (400, 280)).save(path, dpi=(200, 100))
    (page,) = read_pages(path, LIMITS)
    assert page.dpi == 200
    assert page.image.size == (400, 560)


def _image_pdf(path: Path, img: Image.Image, dpi: float, rotate: int = 0) -> None:
    pdf = pikepdf.new()
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=85)
    width_pt, height_pt = img.width * 72 / dpi, img.height * 72 / dpi
    xobj = pikepdf.Stream(pdf, buf.getvalue())
    xobj.Type, xobj.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    xobj.Width, xobj.Height = img.width, img.height
    xobj.ColorSpace, xobj.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    xobj.Filter = pikepdf.Name.DCTDecode
    content = f"q {width_pt:.3f} 0 0 {height_pt:.3f} 0 0 cm /Im0 Do Q".encode()
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, width_pt, height_pt],
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=xobj)),
        Contents=pikepdf.Stream(pdf, content),
    )
    if rotate:
        page.Rotate = rotate
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)


def test_scanned_pdf_rasterized_at_embedded_image_resolution(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    _image_pdf(path, _page("RGB", (400, 560)), dpi=200)
    (page,) = read_pages(path, IngestLimits(default_dpi=300, min_pdf_dpi=100))
    assert page.dpi == pytest.approx(200, abs=1)
    assert abs(page.image.width - 400) <= 2 and abs(page.image.height - 560) <= 2


def test_pdf_rotate_is_rendered_as_the_page_looks(tmp_path: Path) -> None:
    path = tmp_path / "rotated.pdf"
    _image_pdf(path, _page("RGB", (400, 560)), dpi=200, rotate=90)
    (page,) = read_pages(path, IngestLimits(default_dpi=300, min_pdf_dpi=100))
    assert page.image.width > page.image.height  # landscape, as a viewer shows it


# ------------------------------------------------------------------ hostile and broken files


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.tif"
    path.touch()
    with pytest.raises(InputFileError, match="empty file"):
        read_pages(path, LIMITS)


def test_not_an_image_despite_its_name(tmp_path: Path) -> None:
    path = tmp_path / "scan.jpg"
    path.write_text("Xin chào, this is a text file\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="not a scan"):
        read_pages(path, LIMITS)


def test_truncated_jpeg(tmp_path: Path) -> None:
    buf = io.BytesIO()
    _page().save(buf, format="JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
    with pytest.raises(InputFileError, match=r"truncated|corrupt"):
        read_pages(path, LIMITS)


def test_pdf_header_with_nothing_after_it(tmp_path: Path) -> None:
    path = tmp_path / "header.pdf"
    path.write_bytes(b"%PDF-1.7\n")
    with pytest.raises(InputFileError, match="PDF"):
        read_pages(path, LIMITS)


def test_password_protected_pdf(tmp_path: Path) -> None:
    plain = tmp_path / "plain.pdf"
    _image_pdf(plain, _page(), dpi=200)
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(plain) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    with pytest.raises(EncryptedInputError, match="password"):
        read_pages(locked, LIMITS)


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG that claims to be width x height but carries almost no data (a bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    _png_header_only(path, 35_000, 35_000)
    with pytest.raises(OversizedInputError, match=r"35000x35000|too large"):
        read_pages(path, LIMITS)


def test_giant_pdf_page_is_refused(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(14_400, 14_400))  # 200 x 200 inches
    path = tmp_path / "giant.pdf"
    pdf.save(path)
    with pytest.raises(OversizedInputError, match="too large"):
        read_pages(path, LIMITS)


def test_sixteen_bit_grey_png_becomes_eight_bit(tmp_path: Path) -> None:
    arr = np.full((200, 300), 60000, dtype=np.uint16)
    arr[50:80, 40:200] = 1000  # a dark bar of "text"
    path = tmp_path / "g16.png"
    Image.fromarray(arr).save(path, dpi=(300, 300))
    (page,) = read_pages(path, LIMITS)
    assert page.image.mode == "L"
    out = np.asarray(page.image)
    assert out[60, 100] < 30 and out[150, 250] > 225


def test_rgba_tiff_is_flattened(tmp_path: Path) -> None:
    path = tmp_path / "rgba.tif"
    _page("RGB").convert("RGBA").save(path, dpi=(200, 200))
    (page,) = read_pages(path, LIMITS)
    assert page.image.mode == "RGB" and page.dpi == 200
