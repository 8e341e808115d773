"""The glyphless font behind the invisible text layer, and how it is (re)built.

The text layer only has to carry positions and Unicode text, so the font needs one glyph,
drawn for every character: a box half an em wide spanning the font's ascent and descent,
which gives viewers a sensible selection rectangle.  The PDF maps every CID to that glyph
with a ``CIDToGIDMap`` stream, so one 600-byte font serves every script, Vietnamese included.

The font is shipped as ``digitizer/data/glyphless.ttf`` so that writing a PDF needs no
fontTools at run time; ``python -m digitizer.pdfa.glyphless`` rewrites that file, and
a test checks the shipped file is what this module builds.  It is our own work (no
third-party outlines), so there is no licence to track.
"""

from __future__ import annotations

import io
import sys
from importlib import resources
from pathlib import Path

__all__ = [
    "ASCENT",
    "DESCENT",
    "FONT_NAME",
    "GLYPH_WIDTH",
    "UNITS_PER_EM",
    "build_glyphless_font",
    "glyphless_font_bytes",
]

FONT_NAME = "DigitizerGlyphLess"
UNITS_PER_EM = 1000
GLYPH_WIDTH = 500
"""Advance width of the one glyph, in 1/1000 em (the PDF ``/DW`` must match it)."""
ASCENT = 800
DESCENT = -200
"""Ascent minus descent is one em: a font size equal to the line height fills the line."""

_DATA_FILE = "glyphless.ttf"


def build_glyphless_font() -> bytes:
    """Build the font with fontTools; deterministic (fixed timestamps)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.misc.timeTools import timestampFromString
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    fb = FontBuilder(UNITS_PER_EM, isTTF=True)
    glyph_order = [".notdef", "box"]
    fb.setupGlyphOrder(glyph_order)
    # Map the space so that tools which insist on a Unicode cmap find one; the PDF does
    # not use the cmap (CIDToGIDMap decides).
    fb.setupCharacterMap({0x20: "box"})

    pen = TTGlyphPen(None)
    pen.moveTo((0, DESCENT))
    pen.lineTo((0, ASCENT))
    pen.lineTo((GLYPH_WIDTH, ASCENT))
    pen.lineTo((GLYPH_WIDTH, DESCENT))
    pen.closePath()
    box = pen.glyph()
    empty = TTGlyphPen(None).glyph()
    fb.setupGlyf({".notdef": empty, "box": box})
    fb.setupHorizontalMetrics({".notdef": (GLYPH_WIDTH, 0), "box": (GLYPH_WIDTH, 0)})
    fb.setupHorizontalHeader(ascent=ASCENT, descent=DESCENT)
    fb.setupNameTable(
        {
            "familyName": FONT_NAME,
            "styleName": "Regular",
            "uniqueFontIdentifier": f"{FONT_NAME}-1.0",
            "fullName": FONT_NAME,
            "psName": FONT_NAME,
            "version": "Version 1.0",
        }
    )
    fb.setupOS2(
        sTypoAscender=ASCENT,
        sTypoDescender=DESCENT,
        sTypoLineGap=0,
        usWinAscent=ASCENT,
        usWinDescent=-DESCENT,
        sCapHeight=ASCENT,
        sxHeight=ASCENT // 2,
        achVendID="NONE",
    )
    fb.setupPost(isFixedPitch=1)
    fixed_time = timestampFromString("Mon Jan  1 00:00:00 2024")
    fb.font["head"].created = fixed_time
    fb.font["head"].modified = fixed_time
    fb.font.recalcTimestamp = False
    buf = io.BytesIO()
    fb.save(buf)
    return buf.getvalue()


def glyphless_font_bytes() -> bytes:
    """The shipped font file's bytes."""
    return resources.files("digitizer").joinpath("data", _DATA_FILE).read_bytes()


def _main() -> None:
    target = Path(__file__).resolve().parent.parent / "data" / _DATA_FILE
    target.write_bytes(build_glyphless_font())
    sys.stdout.write(f"wrote {target}\n")


if __name__ == "__main__":
    _main()
