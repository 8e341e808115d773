"""The invisible, searchable text layer: a glyphless CID font and the text placed on it.

How the words are laid down is what decides whether search, selection and ``pdftotext``
work, so the choices are deliberate:

* One Type0 font (Identity-H, CIDs = Unicode BMP code points written as UTF-16BE) backed
  by a single-glyph TrueType font; a ``CIDToGIDMap`` sends every CID to that glyph, and a
  ``ToUnicode`` CMap maps every code back to itself. Any Vietnamese letter works with no
  per-document subsetting.
* Words of one OCR line share one baseline and one font size (the median word bottom and
  height, capped by the distance to the neighbouring lines): text extractors group
  characters into lines by baseline and size, and merge lines whose glyph boxes overlap.
* Each word is positioned absolutely (``Tm``) and stretched (``Tz``) to span its box, so
  selection rectangles sit on the printed words and errors cannot accumulate along a line.
* A real space character, stretched over the gap, follows each word but the last of its
  line, so extracted and copied text has spaces; a gap wider than 1.5 em (two columns
  that OCR read as one line) is left empty, so layout-aware extraction keeps them apart.
  Word boxes never overlap: overlapping words are glued together by extractors.
* Rendering mode 3 (neither fill nor stroke) keeps it all invisible.
"""

from __future__ import annotations

import functools
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class _LineMetrics:
    """Where a line's text sits: baseline (pixels from the top) and font size (pixels)."""

    baseline_px: float
    size_px: float
    left: int
    right: int


def _line_metrics(words: Sequence[tuple[OcrWord, str]]) -> _LineMetrics:
    """Median word bottom and height, so one tall word (a diacritic stacked on a capital,
    a descender, a stray mark) does not make the line's glyphs reach into its neighbours."""
    bottoms = sorted(w.top + w.height for w, _ in words)
    heights = sorted(w.height for w, _ in words)
    return _LineMetrics(
        baseline_px=float(bottoms[len(bottoms) // 2]),
        size_px=float(max(heights[len(heights) // 2], 1)),
        left=min(w.left for w, _ in words),
        right=max(w.left + w.width for w, _ in words),
    )


def _fit_sizes(lines: list[_LineMetrics]) -> list[float]:
    """Cap each line's size by the distance to the nearest line above or below it that it
    overlaps horizontally: text extractors merge lines whose glyph boxes overlap."""
    sizes = []
    for i, line in enumerate(lines):
        size = line.size_px
        for j, other in enumerate(lines):
            if i == j or other.right <= line.left or other.left >= line.right:
                continue
            pitch = abs(other.baseline_px - line.baseline_px)
            if pitch > 0.3 * line.size_px:  # not the same visual line (a split column)
                size = min(size, 0.85 * pitch)
        sizes.append(max(size, 1.0))
    return sizes


def _line_operators(
    words: Sequence[tuple[OcrWord, str]],
    metrics: _LineMetrics,
    size_px: float,
    scale: float,
    page_height: float,
) -> Iterable[str]:
    size = size_px * scale
    # Put the glyph box's bottom (descent) a little below the baseline, as real text is.
    baseline = page_height - (metrics.baseline_px + _DESCENT_EM * size_px * 0.5) * scale
    glyph = _GLYPH_EM * size  # unscaled advance of one glyph, in points
    yield f"{FONT_RESOURCE} {_num(size)} Tf"
    for index, (word, text) in enumerate(words):
        x = word.left * scale
        right = word.left + word.width
        nxt = words[index + 1][0] if index + 1 < len(words) else None
        if nxt is not None and nxt.left < right + 1:
            # Overlapping boxes would make extractors glue the two words into one.
            right = max(word.left + 1, nxt.left - 1)
        width = (right - word.left) * scale
        tz = 100.0 * width / (glyph * len(text)) if width > 0 else 100.0
        hex_text = text.encode("utf-16-be").hex().upper()
        yield f"1 0 0 1 {_num(x)} {_num(baseline)} Tm {_num(tz)} Tz <{hex_text}> Tj"
        if nxt is not None:
            gap_px = nxt.left - right
            if gap_px <= 1.5 * size_px:
                # An ordinary word gap: a real space, stretched over it.
                space_tz = max(100.0 * gap_px * scale / glyph, _MIN_TZ)
                yield f"{_num(space_tz)} Tz {_SPACE_HEX.decode()} Tj"
            # A wide gap (columns OCR'd as one line) stays a gap, so that layout-aware
            # extraction keeps the columns apart.


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
    lines = [list(group) for _, group in groupby(cleaned, key=lambda item: item[0].line)]
    metrics = [_line_metrics(line) for line in lines]
    ops = ["BT", "3 Tr"]
    for line, line_metrics, size_px in zip(lines, metrics, _fit_sizes(metrics), strict=True):
        ops.extend(_line_operators(line, line_metrics, size_px, scale, page_height))
    ops.append("ET")
    return ("\n".join(ops) + "\n").encode("ascii")
