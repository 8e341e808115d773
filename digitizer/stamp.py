"""The signature field and what surrounds it in the file: appearance and metadata.

Kept apart from the key handling in :mod:`digitizer.signing` because this is where PDF/A
is won or lost:

* the signature is an incremental update whose widget has the flags PDF/A wants (Print +
  Locked, set by pyHanko) and an appearance stream (which PDFBox Preflight requires of
  every widget; pyHanko adds none for invisible signatures): an empty one for an invisible
  signature;
* the XMP is kept in step with the document info.  pyHanko appends itself to the info
  ``/Producer`` and sets ``/ModDate``, then re-serialises the XMP through its own model,
  which writes a different producer and mangles the ``pdfaExtension`` schema block.  We
  hand pyHanko an XMP stream object whose update copies the new info ``/Producer`` and
  ``/ModDate`` into the packet text and leaves everything else byte for byte.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from fontTools import subset, ttLib
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata import xmp_xml
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields
from pyhanko.stamp import QRStampStyle

from digitizer.errors import SigningError
from digitizer.pdfa.xmp import update_xmp_revision

__all__ = [
    "StampSpec",
    "add_invisible_field",
    "add_stamp_field",
    "free_field_name",
    "install_xmp_sync",
    "stamp_font_path",
    "stamp_style",
]


class _XmpFollowingInfo(xmp_xml.MetadataStream):
    """XMP stream that, when pyHanko updates metadata, copies from the info dictionary.

    pyHanko's writer updates the info dictionary first, then calls
    :meth:`update_xmp_with_meta` on the catalog's metadata stream: at that point the info
    holds the final ``/Producer`` and ``/ModDate``, and the packet gets the same values.
    """

    def __init__(self, xmp: bytes, writer: IncrementalPdfFileWriter) -> None:
        super().__init__(stream_data=xmp)
        self._writer = writer

    def update_xmp_with_meta(self, meta: object) -> None:
        try:
            info = self._writer.trailer_view["/Info"]
        except KeyError:
            info = generic.DictionaryObject()
        producer = str(info.get("/Producer", VENDOR))
        try:
            modified = generic.parse_pdf_date(str(info["/ModDate"]))
        except (KeyError, PdfError):
            modified = dt.datetime.now().astimezone()
        self._data = update_xmp_revision(self.data, producer=producer, modified=modified)
        self._encoded_data = None


def install_xmp_sync(writer: IncrementalPdfFileWriter) -> None:
    """Replace the catalog's XMP stream with an :class:`_XmpFollowingInfo` copy."""
    root = writer.root
    if "/Metadata" not in root:
        return
    current = root["/Metadata"]
    if not isinstance(current, generic.StreamObject):
        return
    root["/Metadata"] = writer.add_object(_XmpFollowingInfo(current.data, writer))
    writer.update_root()


def add_invisible_field(writer: IncrementalPdfFileWriter, name: str) -> None:
    """Create the signature field, with an empty appearance stream, for pyHanko to fill."""
    fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name=name))
    for _, _, field_ref in fields.enumerate_sig_fields(writer, with_name=name):
        widget = field_ref.get_object()
        appearance = generic.StreamObject(
            {
                "/Type": generic.NameObject("/XObject"),
                "/Subtype": generic.NameObject("/Form"),
                "/BBox": generic.ArrayObject([generic.NumberObject(0)] * 4),
            },
            stream_data=b"",
        )
        widget["/AP"] = generic.DictionaryObject({"/N": writer.add_object(appearance)})


def free_field_name(writer: IncrementalPdfFileWriter) -> str:
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer, filled_status=None)}
    n = 1
    while f"Signature{n}" in taken:
        n += 1
    return f"Signature{n}"


# ----------------------------------------------------------------------------- visible stamp

MM = 72 / 25.4  # PDF points per millimetre
_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    Path(__file__).parent / "data" / "NotoSans-Regular.ttf",
)
# Latin, Latin-1, and every precomposed Vietnamese letter (U+1EA0..U+1EF9 and the few
# outside it): what an office name and a date need.  Subsetting Noto Sans (3,000+ glyphs)
# to these once per process makes each stamp's own subset cheap.
_VIETNAMESE = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x100),
    0x102, 0x103, 0x110, 0x111, 0x128, 0x129, 0x168, 0x169, 0x1A0, 0x1A1, 0x1AF, 0x1B0,
    *range(0x300, 0x304), 0x309, 0x323,
    *range(0x1EA0, 0x1EFA),
    0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026,
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class StampSpec:
    """What the visible stamp shows and where: office name, box on page 1 (millimetres).

    The QR code carries the lookup code given to :func:`stamp_signer`; the signing time
    is pyHanko's own (the same instant as the signature's ``/M``), in this computer's
    timezone.
    """

    office: str
    position: str = "bottom-right"
    width_mm: float = 75.0
    height_mm: float = 16.0
    margin_mm: float = 3.0


def stamp_font_path() -> Path:
    """Noto Sans Regular: embedded, full Vietnamese, metrics pyHanko reads right."""
    for path in _FONT_CANDIDATES:
        if path.is_file():
            return path
    raise SigningError(
        "the visible signature stamp needs the Noto Sans font: install it with "
        "'apt-get install fonts-noto-core' or set [signing] visible_stamp = false"
    )


@functools.cache
def _presubset_font() -> bytes:
    tt = ttLib.TTFont(str(stamp_font_path()))
    options = subset.Options()
    options.hinting = False
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=_VIETNAMESE)
    subsetter.subset(tt)
    out = BytesIO()
    tt.save(out)
    return out.getvalue()


class _CIDSetGlyphAccumulator(GlyphAccumulator):
    """pyHanko's TrueType subset, plus the ``/CIDSet`` that PDF/A-1 requires of it.

    The CIDSet is a bit string with one bit per CID (= glyph id here: Identity map,
    glyph ids kept by the subsetter), set for every glyph the embedded program holds:
    ``.notdef``, the glyphs used, and the components of composite glyphs.
    """

    _retained: set[int]

    def _extract_subset(self, options: subset.Options | None = None) -> None:
        options = options or subset.Options(layout_closure=False)
        options.drop_tables += ["GPOS", "GDEF", "GSUB"]
        options.retain_gids = True
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(gids=list(self._glyphs.keys()))
        subsetter.subset(self.tt)
        order = self.tt.getGlyphOrder()
        kept = subsetter.glyphs_retained
        self._retained = {gid for gid, name in enumerate(order) if name in kept} | {0}

    def prepare_write(self) -> None:
        done = self._write_prepared
        super().prepare_write()
        if done:
            return
        bits = bytearray((max(self._retained) // 8) + 1)
        for gid in self._retained:
            bits[gid // 8] |= 0x80 >> (gid % 8)
        cidset = generic.StreamObject(stream_data=bytes(bits))
        descriptor = self.cidfont_obj._font_descriptor
        descriptor[generic.NameObject("/CIDSet")] = self.writer.add_object(cidset)


@dataclass(frozen=True)
class _StampFontFactory(FontEngineFactory):
    """Glyph accumulators on the pre-subset Noto Sans, never in an object stream
    (PDF/A-1 files are PDF 1.4, which has none)."""

    font_size: int = 10

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: object = None
    ) -> GlyphAccumulator:
        return _CIDSetGlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(_presubset_font()),
            font_size=self.font_size,
            bcp47_lang_code="vi",
        )


def stamp_style() -> QRStampStyle:
    """QR on the left, two lines of text on the right, thin border, no background
    (a translucent background would be transparency, which PDF/A-1 forbids)."""
    return QRStampStyle(
        stamp_text="Ký bởi: %(office)s\nThời gian ký: %(ts)s",
        timestamp_format="%d/%m/%Y %H:%M",
        text_box_style=TextBoxStyle(font=_StampFontFactory()),
        border_width=1,
        background=None,
    )


def add_stamp_field(writer: IncrementalPdfFileWriter, name: str, spec: StampSpec) -> None:
    """Create the signature field as a box on page 1, placed as ``spec`` says.

    Raises :class:`SigningError` if the page is too small for the stamp.
    """
    node = writer.find_page_for_modification(0)[0].get_object()
    while "/CropBox" not in node and "/MediaBox" not in node and "/Parent" in node:
        node = node["/Parent"]  # inherited from the page tree
    llx, lly, urx, ury = (float(v) for v in node.get("/CropBox", node["/MediaBox"]))
    width, height, margin = spec.width_mm * MM, spec.height_mm * MM, spec.margin_mm * MM
    if width + 2 * margin > urx - llx or height + 2 * margin > ury - lly:
        raise SigningError(
            f"the visible stamp ({spec.width_mm:g} x {spec.height_mm:g} mm) does not fit on "
            f"page 1 ({(urx - llx) / MM:.0f} x {(ury - lly) / MM:.0f} mm): make "
            "[signing] stamp_width_mm / stamp_height_mm smaller"
        )
    vertical, horizontal = spec.position.split("-")
    x = urx - margin - width if horizontal == "right" else llx + margin
    y = lly + margin if vertical == "bottom" else ury - margin - height
    box_spec = (int(x), int(y), int(x + width), int(y + height))
    fields.append_signature_field(
        writer, fields.SigFieldSpec(sig_field_name=name, on_page=0, box=box_spec)
    )
