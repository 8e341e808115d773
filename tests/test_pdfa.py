"""PDF/A writer: checked with PDFBox Preflight, qpdf and poppler, not only with ourselves."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import stat
import subprocess
import time
import unicodedata
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Name, PdfImage
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageFont

from digitizer.pdfa import write_pdfa
from digitizer.pdfa.glyphless import build_glyphless_font, glyphless_font_bytes
from digitizer.pdfa.icc import srgb_icc_profile
from digitizer.pdfa.images import encode_image
from digitizer.pdfa.xmp import PROJECT_NS, update_xmp_revision
from digitizer.records import DocumentMetadata, OcrWord, PageRaster
from tests.checkers import (
    pdftotext,
    pdftotext_words,
    preflight_a1b,
    qpdf_check,
    render_gray,
)

LINES = (
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Họ và tên: NGUYỄN VĂN AN",
    "Đăng ký thường trú tại xã Tân Dĩnh, tỉnh Bắc Ninh",
)
A4_INCHES = (8.27, 11.69)
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
)
# A solid black block on every page, to check bilevel polarity after rendering.
BLOCK = (0.60, 0.70, 0.85, 0.85)  # left, top, right, bottom as fractions of the page


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def make_page(mode: str = "RGB", dpi: int = 300, lines: tuple[str, ...] = LINES) -> PageRaster:
    """An A4 page with ``lines`` drawn at 14 pt and OcrWords measured from the drawing."""
    width, height = round(A4_INCHES[0] * dpi), round(A4_INCHES[1] * dpi)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = _font(round(dpi * 14 / 72))
    words: list[OcrWord] = []
    y = dpi  # one-inch margins
    for line_no, line in enumerate(lines):
        x = dpi
        for token in line.split():
            left, top, right, bottom = (round(v) for v in draw.textbbox((x, y), token, font=font))
            draw.text((x, y), token, font=font, fill="black")
            words.append(OcrWord(token, left, top, right - left, bottom - top, 96.0, 0, line_no))
            x = right + round(dpi * 0.06)
        y += round(dpi * 0.35)
    bl, bt, br, bb = BLOCK
    draw.rectangle((bl * width, bt * height, br * width, bb * height), fill="black")
    draw.rectangle((0.1 * width, 0.7 * height, 0.3 * width, 0.8 * height), fill=(200, 30, 30))
    if mode != "RGB":
        image = image.convert(mode)
    return PageRaster(image=image, dpi=dpi, words=words)


def sample_metadata() -> DocumentMetadata:
    return DocumentMetadata(
        document_id="HS-2025-000123",
        title="Giấy đăng ký thường trú – NGUYỄN VĂN AN",
        doc_type="dang_ky_thuong_tru",
        unit_code="07432",
        unit_name="Xã Tân Dĩnh",
        created=dt.datetime(2025, 3, 4, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=7))),
        producer="digitizer 0.1.0",
    )


@pytest.fixture(scope="module")
def pages() -> list[PageRaster]:
    return [make_page("RGB"), make_page("1"), make_page("L", dpi=200)]


@pytest.fixture(scope="module")
def pdfa1b(tmp_path_factory: pytest.TempPathFactory, pages: list[PageRaster]) -> Path:
    out = tmp_path_factory.mktemp("pdfa") / "doc-1b.pdf"
    write_pdfa(pages, sample_metadata(), out, level="1b")
    return out


@pytest.fixture(scope="module")
def pdfa2b(tmp_path_factory: pytest.TempPathFactory, pages: list[PageRaster]) -> Path:
    out = tmp_path_factory.mktemp("pdfa") / "doc-2b.pdf"
    write_pdfa(pages, sample_metadata(), out, level="2b")
    return out


def _page_texts(path: Path) -> list[list[str]]:
    """pdftotext output as non-empty, whitespace-normalised lines per page."""
    return [
        [" ".join(line.split()) for line in page.splitlines() if line.strip()]
        for page in pdftotext(path).split("\f")
        if page.strip()
    ]


# --- PDF/A conformance -----------------------------------------------------------------


def test_pdfa1b_passes_preflight(pdfa1b: Path) -> None:
    valid, report = preflight_a1b(pdfa1b)
    assert valid, report


def test_pdfa1b_is_pdf14_without_object_or_xref_streams(pdfa1b: Path) -> None:
    data = pdfa1b.read_bytes()
    assert data.startswith(b"%PDF-1.4\n")
    assert b"/ObjStm" not in data
    assert b"/XRef" not in data
    with pikepdf.open(pdfa1b) as pdf:
        assert len(pdf.trailer.ID) == 2


def test_pdfa2b_is_well_formed_with_part_2_xmp(pdfa2b: Path) -> None:
    ok, report = qpdf_check(pdfa2b)
    assert ok, report
    assert pdfa2b.read_bytes().startswith(b"%PDF-1.7")
    with pikepdf.open(pdfa2b) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert meta["pdfaid:conformance"] == "B"


def test_xmp_carries_metadata_and_matches_info(pdfa1b: Path) -> None:
    with pikepdf.open(pdfa1b) as pdf:
        meta = pdf.open_metadata()
        info = pdf.docinfo
        assert meta["pdfaid:part"] == "1"
        assert meta["dc:title"] == "Giấy đăng ký thường trú – NGUYỄN VĂN AN"
        assert str(info["/Title"]) == meta["dc:title"]
        assert meta["pdf:Producer"] == "digitizer 0.1.0" == str(info["/Producer"])
        assert meta["xmp:CreatorTool"] == str(info["/Creator"])
        assert meta["xmp:CreateDate"] == "2025-03-04T09:15:00+07:00"
        assert str(info["/CreationDate"]) == "D:20250304091500+07'00'"
        assert meta["xmp:ModifyDate"]
        assert meta[f"{{{PROJECT_NS}}}documentId"] == "HS-2025-000123"
        assert meta[f"{{{PROJECT_NS}}}documentType"] == "dang_ky_thuong_tru"
        assert meta[f"{{{PROJECT_NS}}}unitCode"] == "07432"
        assert meta[f"{{{PROJECT_NS}}}unitName"] == "Xã Tân Dĩnh"
        xmp = pdf.Root.Metadata.read_bytes()
        assert b"pdfaExtension:schemas" in xmp
        assert "/Filter" not in pdf.Root.Metadata  # PDF/A-1: metadata stream unfiltered
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == Name.GTS_PDFA1
        assert intent.DestOutputProfile.read_bytes() == srgb_icc_profile()


def test_optional_units_are_left_out(tmp_path: Path) -> None:
    out = tmp_path / "no-unit.pdf"
    meta = sample_metadata()
    meta = DocumentMetadata(
        meta.document_id, meta.title, meta.doc_type, None, None, meta.created, meta.producer
    )
    write_pdfa([make_page("1", dpi=100)], meta, out, level="1b")
    valid, report = preflight_a1b(out)
    assert valid, report
    with pikepdf.open(out) as pdf:
        xmp = pdf.Root.Metadata.read_bytes()
    assert b"<dgz:unitCode>" not in xmp
    assert b"<dgz:documentId>HS-2025-000123</dgz:documentId>" in xmp


# --- text layer ------------------------------------------------------------------------


def test_pdftotext_returns_lines_in_order_with_diacritics(pdfa1b: Path) -> None:
    texts = _page_texts(pdfa1b)
    assert len(texts) == 3
    for page_lines in texts:
        assert page_lines == list(LINES)
    assert "NGUYỄN VĂN AN" in texts[0][2]
    assert "Đăng ký" in texts[0][3]


def test_word_order_in_input_does_not_matter(tmp_path: Path) -> None:
    page = make_page("L", dpi=150)
    random.Random(7).shuffle(page.words)
    out = tmp_path / "shuffled.pdf"
    write_pdfa([page], sample_metadata(), out)
    assert _page_texts(out) == [list(LINES)]


def test_decomposed_ocr_text_is_written_precomposed(tmp_path: Path) -> None:
    page = make_page("L", dpi=150)
    page.words = [
        OcrWord(
            unicodedata.normalize("NFD", w.text),
            w.left,
            w.top,
            w.width,
            w.height,
            w.confidence,
            w.block,
            w.line,
        )
        for w in page.words
    ]
    out = tmp_path / "nfd.pdf"
    write_pdfa([page], sample_metadata(), out)
    text = pdftotext(out)
    assert "NGUYỄN VĂN AN" in text
    assert unicodedata.is_normalized("NFC", text)


def test_words_sit_on_their_boxes(pdfa1b: Path, pages: list[PageRaster]) -> None:
    """Each word's box, as poppler sees it, lies on its OCR box."""
    found = pdftotext_words(pdfa1b, page=1)
    scale = 72 / pages[0].dpi
    words = pages[0].words
    assert [f[4] for f in found] == [w.text for w in words]
    for (x0, y0, x1, y1, _), word in zip(found, words, strict=True):
        assert abs(x0 - word.left * scale) < 0.5
        assert abs(x1 - (word.left + word.width) * scale) < 0.5
        # vertically: the text box sits on the word's ink (its centre inside the ink box);
        # it is not stretched over the tallest word's accents, which would reach into the
        # neighbouring lines and make extractors interleave them
        centre = (y0 + y1) / 2
        assert word.top * scale - 0.5 <= centre <= (word.top + word.height) * scale + 0.5


def _text_layer_lines(pdf_page: pikepdf.Page) -> list[tuple[set[float], str]]:
    """(baselines used, text shown) per ``Tf`` block of the page's content stream."""
    lines: list[tuple[set[float], list[str]]] = []
    for instruction in pikepdf.parse_content_stream(pdf_page):
        assert isinstance(instruction, pikepdf.ContentStreamInstruction)
        operands, op = instruction.operands, str(instruction.operator)
        if op == "Tf":
            lines.append((set(), []))
        elif op == "Tm":
            lines[-1][0].add(float(operands[5]))
        elif op == "Tj":
            lines[-1][1].append(bytes(operands[0]).decode("utf-16-be"))
    return [(baselines, "".join(parts)) for baselines, parts in lines]


def test_text_layer_has_real_spaces_and_one_baseline_per_line(pdfa1b: Path) -> None:
    """Spaces are characters in the layer (not only gaps) and words of a line share a baseline.

    poppler infers both from geometry, so pdftotext alone would not notice their loss;
    other viewers' copy/paste and search rely on them.
    """
    with pikepdf.open(pdfa1b) as pdf:
        lines = _text_layer_lines(pdf.pages[0])
    assert [text for _, text in lines] == list(LINES)
    for baselines, _ in lines:
        assert len(baselines) == 1


def test_text_layer_is_invisible(tmp_path: Path) -> None:
    page = make_page("L", dpi=100)
    blank = PageRaster(Image.new("L", page.image.size, 255), page.dpi, page.words)
    out = tmp_path / "blank.pdf"
    write_pdfa([blank], sample_metadata(), out)
    with Image.open(render_gray(out, page=1, dpi=50)) as rendered:
        assert rendered.getextrema() == (255, 255)
    assert "NGUYỄN" in pdftotext(out)


def test_font_is_embedded_type0_identity_h(pdfa1b: Path) -> None:
    with pikepdf.open(pdfa1b) as pdf:
        font = pdf.pages[0].Resources.Font["/F0"]
        assert font.Subtype == Name.Type0
        assert font.Encoding == Name("/Identity-H")
        cid = font.DescendantFonts[0]
        assert cid.Subtype == Name.CIDFontType2
        assert cid.FontDescriptor.FontFile2.read_bytes() == glyphless_font_bytes()
        assert "/ToUnicode" in font
        # one font object shared by all pages
        assert all(p.Resources.Font["/F0"].objgen == font.objgen for p in pdf.pages)


# --- images and geometry ---------------------------------------------------------------


def test_page_size_follows_dpi(pdfa1b: Path, pages: list[PageRaster]) -> None:
    with pikepdf.open(pdfa1b) as pdf:
        for pdf_page, raster in zip(pdf.pages, pages, strict=True):
            box = [float(v) for v in pdf_page.MediaBox]
            assert box[:2] == [0, 0]
            assert box[2] == pytest.approx(raster.image.width * 72 / raster.dpi, abs=0.01)
            assert box[3] == pytest.approx(raster.image.height * 72 / raster.dpi, abs=0.01)
    # A4 at 300 dpi is 2481 x 3507 px -> 595.44 x 841.68 pt
    assert pages[0].image.size == (2481, 3507)


def test_colour_and_grey_pages_are_jpeg(pdfa1b: Path) -> None:
    with pikepdf.open(pdfa1b) as pdf:
        colour = pdf.pages[0].Resources.XObject["/Im0"]
        grey = pdf.pages[2].Resources.XObject["/Im0"]
        assert colour.Filter == Name.DCTDecode
        assert colour.ColorSpace == Name.DeviceRGB
        assert grey.Filter == Name.DCTDecode
        assert grey.ColorSpace == Name.DeviceGray
        for image in (colour, grey):
            with Image.open(io.BytesIO(image.read_raw_bytes())) as jpeg:
                assert jpeg.format == "JPEG"
                assert jpeg.size == (int(image.Width), int(image.Height))


def test_bilevel_page_is_stored_losslessly(pdfa1b: Path, pages: list[PageRaster]) -> None:
    with pikepdf.open(pdfa1b) as pdf:
        stored = pdf.pages[1].Resources.XObject["/Im0"]
        assert stored.Filter in (Name.CCITTFaxDecode, Name.FlateDecode)
        assert stored.BitsPerComponent == 1
        assert isinstance(stored, pikepdf.Stream)
        decoded = PdfImage(stored).as_pil_image()
    original = pages[1].image
    assert decoded.size == original.size
    assert ImageChops.difference(decoded.convert("L"), original.convert("L")).getbbox() is None


def test_bilevel_page_is_ccitt_g4(pdfa1b: Path) -> None:
    from PIL import features

    assert features.check("libtiff"), "Pillow without libtiff: pages fall back to Flate"
    with pikepdf.open(pdfa1b) as pdf:
        stored = pdf.pages[1].Resources.XObject["/Im0"]
        assert stored.Filter == Name.CCITTFaxDecode
        assert stored.DecodeParms.K == -1
        assert len(stored.read_raw_bytes()) < 200_000  # A4 at 300 dpi, mostly white


def test_bilevel_polarity_as_poppler_renders_it(pdfa1b: Path) -> None:
    """White paper stays white and the black block black in an independent renderer."""
    with Image.open(render_gray(pdfa1b, page=2, dpi=20)) as rendered:
        w, h = rendered.size
        bl, bt, br, bb = BLOCK
        inside = rendered.getpixel((int((bl + br) / 2 * w), int((bt + bb) / 2 * h)))
        paper = rendered.getpixel((int(0.05 * w), int(0.95 * h)))
    assert isinstance(inside, int) and isinstance(paper, int)
    assert inside < 40
    assert paper > 215


def test_flate_fallback_is_lossless() -> None:
    image = make_page("1", dpi=72).image
    encoded = encode_image(image, jpeg_quality=80, allow_g4=False)
    assert encoded.filter == "/FlateDecode"
    import zlib

    assert zlib.decompress(encoded.data) == image.tobytes()


def test_transparent_image_is_flattened_onto_white() -> None:
    rgba = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    encoded = encode_image(rgba, jpeg_quality=90)
    assert encoded.color_space == "/DeviceRGB"
    with Image.open(io.BytesIO(encoded.data)) as jpeg:
        low, _ = jpeg.convert("L").getextrema()
        assert isinstance(low, int) and low > 245


# --- resources, inputs, speed -----------------------------------------------------------


def test_shipped_glyphless_font_is_what_the_builder_makes() -> None:
    assert glyphless_font_bytes() == build_glyphless_font()


def test_icc_profile_is_version_2_srgb() -> None:
    profile = ImageCms.ImageCmsProfile(io.BytesIO(srgb_icc_profile()))
    assert profile.profile.version == pytest.approx(2.1)
    assert profile.profile.xcolor_space.strip() == "RGB"
    transform = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), profile, "RGB", "RGB")
    probe = Image.new("RGB", (3, 1))
    probe.putpixel((0, 0), (10, 20, 30))
    probe.putpixel((1, 0), (128, 64, 200))
    probe.putpixel((2, 0), (250, 250, 5))
    out = ImageCms.applyTransform(probe, transform)
    assert out is not None
    for x in range(3):
        got, want = out.getpixel((x, 0)), probe.getpixel((x, 0))
        assert isinstance(got, tuple) and isinstance(want, tuple)
        for a, b in zip(got, want, strict=True):
            assert abs(a - b) <= 2


def test_xmp_revision_update_keeps_everything_else(pdfa1b: Path) -> None:
    with pikepdf.open(pdfa1b) as pdf:
        xmp = pdf.Root.Metadata.read_bytes()
    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    updated = update_xmp_revision(xmp, producer="A & B", modified=when)
    assert b"<pdf:Producer>A &amp; B</pdf:Producer>" in updated
    assert b"<xmp:ModifyDate>2030-01-02T03:04:05+00:00</xmp:ModifyDate>" in updated
    assert updated.count(b"pdfaSchema:property") == xmp.count(b"pdfaSchema:property")
    assert b"<xmp:CreateDate>2025-03-04T09:15:00+07:00</xmp:CreateDate>" in updated


def test_rejects_empty_document(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one page"):
        write_pdfa([], sample_metadata(), tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []


def test_page_without_words_has_no_font(tmp_path: Path) -> None:
    out = tmp_path / "nowords.pdf"
    write_pdfa(
        [PageRaster(Image.new("1", (850, 1100), 1), 100)], sample_metadata(), out, level="1b"
    )
    with pikepdf.open(out) as pdf:
        assert "/Font" not in pdf.pages[0].Resources
    valid, report = preflight_a1b(out)
    assert valid, report


def test_output_file_permissions_follow_umask(pdfa1b: Path) -> None:
    """Written through a temporary file, but not with mkstemp's private 0600 mode."""
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(pdfa1b.stat().st_mode) == 0o666 & ~umask


def test_colour_page_is_fast(tmp_path: Path) -> None:
    page = make_page("RGB")
    out = tmp_path / "speed.pdf"
    write_pdfa([page], sample_metadata(), out)  # warm caches and imports
    start = time.perf_counter()
    for _ in range(3):
        write_pdfa([page], sample_metadata(), out)
    per_page = (time.perf_counter() - start) / 3
    # About 0.03 s on the 2-core reference machine; the bound only catches re-encoding
    # or similar gross regressions.
    assert per_page < 0.5, f"{per_page:.3f} s per 300 dpi colour page"


# Word boxes as Tesseract gave them on a real 200 dpi dossier receipt (line, text, box):
# accents and descenders make some boxes much taller than the line pitch of ~42 px.
_TIGHT_LINES = [
    (0, "1.", 248, 831, 25, 26),
    (0, "Thành", 285, 829, 103, 29),
    (0, "phần", 401, 827, 89, 50),
    (0, "hồ", 497, 827, 40, 31),
    (0, "sơ", 549, 834, 39, 24),
    (0, "nộp", 584, 829, 76, 48),
    (0, "gồm:", 672, 827, 84, 40),
    (1, "-", 286, 888, 9, 3),
    (1, "Bản", 309, 869, 59, 31),
    (1, "vẽ", 380, 872, 36, 28),
    (1, "thiết", 427, 869, 76, 31),
    (1, "kế", 515, 869, 36, 31),
    (1, "xây", 560, 871, 58, 47),
    (1, "dựng:", 628, 868, 96, 55),
    (1, "01", 737, 873, 33, 27),
    (2, "-", 286, 929, 9, 4),
    (2, "Tờ", 306, 912, 43, 29),
    (2, "khai", 359, 913, 65, 28),
    (2, "theo", 436, 913, 75, 28),
    (2, "mẫu:", 524, 913, 81, 28),
    (2, "01", 618, 914, 33, 27),
]


def test_tightly_set_lines_with_tall_words_do_not_interleave(tmp_path: Path) -> None:
    """A word with stacked accents or a descender must not stretch its line's glyph box
    into the next line: extractors would then merge the two lines word by word."""
    page = make_page("L", dpi=200, lines=())
    page.words = [OcrWord(t, x, y, w, h, 95.0, 0, line) for line, t, x, y, w, h in _TIGHT_LINES]
    out = tmp_path / "tight.pdf"
    write_pdfa([page], sample_metadata(), out)
    assert _page_texts(out) == [
        ["1. Thành phần hồ sơ nộp gồm:", "- Bản vẽ thiết kế xây dựng: 01", "- Tờ khai theo mẫu: 01"]
    ]


def test_columns_read_as_one_ocr_line_stay_apart(tmp_path: Path) -> None:
    page = make_page("L", dpi=200, lines=("UBND XÃ TÂN DĨNH",))
    shift = 600  # the right column, 3 inches away, read by OCR as the same line
    right = [
        OcrWord(t, 200 + shift + 90 * i, page.words[0].top, 80, page.words[0].height, 95.0, 0, 0)
        for i, t in enumerate(("CỘNG", "HÒA"))
    ]
    page.words = page.words + right
    out = tmp_path / "columns.pdf"
    write_pdfa([page], sample_metadata(), out)
    layout = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in layout.splitlines() if "UBND" in line)
    assert "DĨNH   " in line and line.rstrip().endswith("CỘNG HÒA")
