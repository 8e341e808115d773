"""The invisible, searchable text layer: a glyphless CID font and the text placed on it.

How the words are laid down is what decides whether search, selection and ``pdftotext``
work, so the choices are deliberate:

* One Type0 font (Identity-H, CIDs = Unicode BMP code points written as UTF-16BE) backed
  by a single-glyph TrueType font; a ``CIDToGIDMap`` sends every CID to that glyph, and a
  ``ToUnicode`` CMap maps every code back to itself. Any Vietnamese letter works with no
  per-document subsetting.
* Words of one OCR line share one baseline and one font size, taken from the line's box:
  text extractors group characters into lines by baseline and size.
* Each word is positioned absolutely (``Tm``) and stretched (``Tz``) to span its box, so
  selection rectangles sit on the printed words and errors cannot accumulate along a line.
* A real space character, stretched over the gap, follows each word but the last of its
  line, so extracted and copied text has spaces.
* Rendering mode 3 (neither fill nor stroke) keeps it all invisible.
"""

from __future__ import annotations

import functools
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from itertools import groupby

import pikepdf
from pikepdf import Array, Dictionary, Name

from digitizer.pdfa.glyphless import (
    ASCENT,
    DESCENT,
    FONT_NAME,
    GLYPH_WIDTH,
    UNITS_PER_EM,
    glyphless_font_bytes,
)
from digitizer.records import OcrWord

__all__ = ["FONT_RESOURCE", "add_glyphless_font", "clean_word_text", "text_layer_operators"]

FONT_RESOURCE = "/F0"
"""Resource name of the text layer font on every page."""

_GLYPH_EM = GLYPH_WIDTH / UNITS_PER_EM  # advance of one glyph, in em
_DESCENT_EM = -DESCENT / UNITS_PER_EM
_SPACE_HEX = b"<0020>"
_MIN_TZ = 1.0  # a space over overlapping boxes: present for extraction, ~zero width


@functools.cache
def _cid_to_gid_map() -> bytes:
    """Flate-compressed CIDToGIDMap: all 65536 CIDs -> glyph 1 (a few hundred bytes)."""
    return zlib.compress(b"\x00\x01" * 65536, 9)


@functools.cache
def _to_unicode_cmap() -> bytes:
    """Identity ToUnicode: each 2-byte code is its own UTF-16 code unit.

    Written as one ``bfrange`` per high byte (ranges may only vary in their last byte),
    skipping the surrogate block, which holds no characters of its own.
    """
    ranges = [
        f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256) if not 0xD8 <= hi <= 0xDF
    ]
    blocks = []
    for start in range(0, len(ranges), 100):  # at most 100 entries per block
        chunk = ranges[start : start + 100]
        blocks.append(f"{len(chunk)} beginbfrange\n" + "\n".join(chunk) + "\nendbfrange")
    cmap = (
        "/CIDInit /ProcSet findresource begin\n"
        "12 dict begin\n"
        "begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n"
        "/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\n"
        "CMapName currentdict /CMap defineresource pop\n"
        "end\n"
        "end\n"
    )
    return zlib.compress(cmap.encode("ascii"), 9)


def add_glyphless_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """Add the text layer font to ``pdf``; return the indirect Type0 font to share."""
    font_program = glyphless_font_bytes()
    font_file = pikepdf.Stream(pdf, font_program)
    font_file.Length1 = len(font_program)
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=Name("/" + FONT_NAME),
        # Symbolic (4) + FixedPitch (1): not a Latin text font, every glyph the same width.
        Flags=5,
        FontBBox=Array([0, DESCENT, GLYPH_WIDTH, ASCENT]),
        ItalicAngle=0,
        Ascent=ASCENT,
        Descent=DESCENT,
        CapHeight=ASCENT,
        StemV=80,
        FontFile2=pdf.make_indirect(font_file),
    )
    cid_to_gid = pikepdf.Stream(pdf, _cid_to_gid_map())
    cid_to_gid.Filter = Name.FlateDecode
    cid_font = Dictionary(
        Type=Name.Font,
        Subtype=Name.CIDFontType2,
        BaseFont=Name("/" + FONT_NAME),
        CIDSystemInfo=Dictionary(
            Registry=pikepdf.String("Adobe"),
            Ordering=pikepdf.String("Identity"),
            Supplement=0,
        ),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=GLYPH_WIDTH,
        CIDToGIDMap=pdf.make_indirect(cid_to_gid),
    )
    to_unicode = pikepdf.Stream(pdf, _to_unicode_cmap())
    to_unicode.Filter = Name.FlateDecode
    font = Dictionary(
        Type=Name.Font,
        Subtype=Name.Type0,
        BaseFont=Name("/" + FONT_NAME),
        Encoding=Name("/Identity-H"),
        DescendantFonts=Array([pdf.make_indirect(cid_font)]),
        ToUnicode=pdf.make_indirect(to_unicode),
    )
    return pdf.make_indirect(font)


def clean_word_text(text: str) -> str:
    """NFC-normalise OCR text for the text layer; drop what a 2-byte CID cannot carry.

    NFC gives precomposed Vietnamese letters (one glyph each, and what users type when
    they search); control characters are dropped; characters beyond the BMP, which
    would need surrogate pairs, become U+FFFD.
    """
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) == "Cc":
            continue
        elif ord(ch) > 0xFFFF or 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out).strip()


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _line_operators(
    words: Sequence[tuple[OcrWord, str]], scale: float, page_height: float
) -> Iterable[str]:
    top = min(w.top for w, _ in words)
    bottom = max(w.top + w.height for w, _ in words)
    height_px = max(bottom - top, 1)
    size = height_px * scale
    baseline = page_height - (bottom - _DESCENT_EM * height_px) * scale
    glyph = _GLYPH_EM * size  # unscaled advance of one glyph, in points
    yield f"{FONT_RESOURCE} {_num(size)} Tf"
    for index, (word, text) in enumerate(words):
        x = word.left * scale
        width = word.width * scale
        tz = 100.0 * width / (glyph * len(text)) if width > 0 else 100.0
        hex_text = text.encode("utf-16-be").hex().upper()
        yield f"1 0 0 1 {_num(x)} {_num(baseline)} Tm {_num(tz)} Tz <{hex_text}> Tj"
        if index + 1 < len(words):
            gap = (words[index + 1][0].left - (word.left + word.width)) * scale
            space_tz = max(100.0 * gap / glyph, _MIN_TZ)
            yield f"{_num(space_tz)} Tz {_SPACE_HEX.decode()} Tj"


def text_layer_operators(words: Iterable[OcrWord], *, dpi: float, page_height: float) -> bytes:
    """Content stream operators drawing ``words`` invisibly; empty if there is no text.

    ``page_height`` is in points; word boxes are in pixels at ``dpi``, origin top left.
    """
    scale = 72.0 / dpi
    cleaned = [(w, clean_word_text(w.text)) for w in words]
    cleaned = [(w, t) for w, t in cleaned if t]
    if not cleaned:
        return b""
    cleaned.sort(key=lambda item: (item[0].line, item[0].left))
    ops = ["BT", "3 Tr"]
    for _, line_words in groupby(cleaned, key=lambda item: item[0].line):
        ops.extend(_line_operators(list(line_words), scale, page_height))
    ops.append("ET")
    return ("\n".join(ops) + "\n").encode("ascii")
