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

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata import xmp_xml
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields

from digitizer.pdfa.xmp import update_xmp_revision

__all__ = ["add_invisible_field", "free_field_name", "install_xmp_sync"]


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
