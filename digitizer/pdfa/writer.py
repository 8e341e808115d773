"""Write page rasters and their OCR words as one PDF/A-1b or PDF/A-2b file.

The file is assembled directly with pikepdf (qpdf): each page is one full-page image plus
an invisible text layer; the document gets an sRGB output intent, XMP metadata and a
matching document info dictionary. Images are encoded once, by Pillow, and stored as they
are, which keeps a 300 dpi A4 colour page well under 0.2 s.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from digitizer import __version__
from digitizer.pdfa.icc import SRGB_DESCRIPTION, srgb_icc_profile
from digitizer.pdfa.images import EncodedImage, encode_image
from digitizer.pdfa.textlayer import FONT_RESOURCE, add_glyphless_font, text_layer_operators
from digitizer.pdfa.xmp import build_xmp, info_entries
from digitizer.records import DocumentMetadata, PageRaster, PdfALevel

__all__ = ["CREATOR_TOOL", "write_pdfa"]

log = logging.getLogger(__name__)

CREATOR_TOOL = f"digitizer {__version__}"
"""``xmp:CreatorTool`` / info ``/Creator`` of every file we write."""

_IMAGE_RESOURCE = "/Im0"


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _image_xobject(pdf: pikepdf.Pdf, encoded: EncodedImage) -> pikepdf.Stream:
    image = pikepdf.Stream(
        pdf,
        encoded.data,
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=encoded.width,
        Height=encoded.height,
        ColorSpace=Name(encoded.color_space),
        BitsPerComponent=encoded.bits_per_component,
        Filter=Name(encoded.filter),
    )
    if encoded.decode_parms:
        image.DecodeParms = Dictionary(encoded.decode_parms)
    return image


def _add_page(
    pdf: pikepdf.Pdf,
    page: PageRaster,
    *,
    jpeg_quality: int,
    font: pikepdf.Object | None,
) -> None:
    if page.dpi <= 0:
        raise ValueError(f"page dpi must be positive, got {page.dpi}")
    encoded = encode_image(page.image, jpeg_quality=jpeg_quality)
    width = encoded.width * 72.0 / page.dpi
    height = encoded.height * 72.0 / page.dpi
    content = [f"q {_num(width)} 0 0 {_num(height)} 0 0 cm {_IMAGE_RESOURCE} Do Q\n".encode()]
    resources = Dictionary(XObject=Dictionary({_IMAGE_RESOURCE: _image_xobject(pdf, encoded)}))
    text = text_layer_operators(page.words, dpi=page.dpi, page_height=height)
    if text:
        assert font is not None
        content.append(b"q\n" + text + b"Q\n")
        resources.Font = Dictionary({FONT_RESOURCE: font})
    page_dict = Dictionary(
        Type=Name.Page,
        MediaBox=Array([0, 0, float(_num(width)), float(_num(height))]),
        Resources=resources,
        Contents=pdf.make_stream(b"".join(content)),
    )
    pdf.pages.append(pikepdf.Page(page_dict))


def _add_output_intent(pdf: pikepdf.Pdf) -> None:
    profile = pikepdf.Stream(pdf, srgb_icc_profile())
    profile.N = 3
    intent = Dictionary(
        Type=Name.OutputIntent,
        S=Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String(SRGB_DESCRIPTION),
        Info=pikepdf.String(SRGB_DESCRIPTION),
        RegistryName=pikepdf.String("http://www.color.org"),
        DestOutputProfile=pdf.make_indirect(profile),
    )
    pdf.Root.OutputIntents = Array([pdf.make_indirect(intent)])


def _add_metadata(pdf: pikepdf.Pdf, metadata: DocumentMetadata, level: PdfALevel) -> None:
    modified = dt.datetime.now().astimezone()
    xmp = pikepdf.Stream(
        pdf,
        build_xmp(metadata, level=level, creator_tool=CREATOR_TOOL, modified=modified),
    )
    xmp.Type = Name.Metadata
    xmp.Subtype = Name.XML
    pdf.Root.Metadata = pdf.make_indirect(xmp)
    info = pdf.docinfo
    for key, value in info_entries(metadata, creator_tool=CREATOR_TOOL, modified=modified).items():
        info[key] = pikepdf.String(value)


def write_pdfa(
    pages: Iterable[PageRaster],
    metadata: DocumentMetadata | Callable[[], DocumentMetadata],
    out: Path,
    *,
    level: PdfALevel = "2b",
    jpeg_quality: int = 80,
) -> None:
    """Write ``pages`` as a searchable PDF/A-``level`` file at ``out``.

    One PDF page per raster, sized from its pixel size and dpi; "RGB"/"L" images are
    stored as JPEG at ``jpeg_quality``, mode "1" losslessly (CCITT G4 or Flate).  The
    file is written next to ``out`` under a temporary name and renamed into place, so a
    reader never sees a half-written PDF.

    ``pages`` may be a generator: each page is encoded as it arrives and its decoded image
    can then be freed, so memory does not grow with the number of pages.
    """
    if level not in ("1b", "2b"):
        raise ValueError(f"unsupported PDF/A level {level!r} (expected '1b' or '2b')")
    if not 1 <= jpeg_quality <= 100:
        raise ValueError(f"jpeg_quality must be 1..100, got {jpeg_quality}")

    with pikepdf.new() as pdf:
        font = None
        count = 0
        for page in pages:
            if font is None and page.words:
                font = add_glyphless_font(pdf)
            _add_page(pdf, page, jpeg_quality=jpeg_quality, font=font)
            count += 1
        if not count:
            raise ValueError("write_pdfa needs at least one page")
        _add_output_intent(pdf)
        # A callable is asked only now: what the document is may be known only after its
        # last page was read.
        _add_metadata(pdf, metadata() if callable(metadata) else metadata, level)
        pdf.Root.Lang = pikepdf.String("vi")

        version = "1.4" if level == "1b" else "1.7"
        # PDF/A-1 is PDF 1.4: no object or cross-reference streams.  PDF/A-2 allows them.
        stream_mode = (
            pikepdf.ObjectStreamMode.disable if level == "1b" else pikepdf.ObjectStreamMode.generate
        )
        out = Path(out)
        # Not mkstemp: its 0600 mode would stick to the output; umask-based is wanted.
        tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
        try:
            pdf.save(
                tmp,
                min_version=version,
                force_version=version,
                object_stream_mode=stream_mode,
                fix_metadata_version=False,
                deterministic_id=False,
            )
            tmp.replace(out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    log.debug("wrote %s: %d pages, PDF/A-%s", out, count, level)
