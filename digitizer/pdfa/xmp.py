"""XMP metadata and the matching document info for PDF/A.

PDF/A makes the XMP packet the authoritative metadata and requires the document info
dictionary, where it has an entry, to say the same thing (validators compare title,
producer, creator tool and dates).  Both are therefore built here from one
:class:`~digitizer.records.DocumentMetadata`.

The packet is written as text rather than with an XMP library: it is small, fixed in
shape, and PDF/A validators are picky about its form (custom properties need a
``pdfaExtension`` schema block describing them, in the exact RDF shape of ISO 19005-1
TechNote 0009).
"""

from __future__ import annotations

import datetime as dt
import re
from xml.sax.saxutils import escape

from digitizer.records import DocumentMetadata, PdfALevel

__all__ = [
    "PROJECT_NS",
    "PROJECT_PREFIX",
    "aware",
    "build_xmp",
    "info_entries",
    "pdf_date",
    "update_xmp_revision",
    "xmp_date",
]

PROJECT_NS = "https://digitizer.invalid/ns/document/1.0/"
"""Namespace of our custom XMP properties (``.invalid``: an identifier, not a web page)."""
PROJECT_PREFIX = "dgz"

# (name, category, description) of each custom property, in the extension schema.
_CUSTOM_PROPERTIES: tuple[tuple[str, str, str], ...] = (
    ("documentId", "internal", "Identifier of the document in the digitizer store"),
    ("documentType", "external", "Type of administrative document"),
    ("unitCode", "external", "Code of the administrative unit that holds the document"),
    ("unitName", "external", "Name of the administrative unit that holds the document"),
)

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def aware(moment: dt.datetime) -> dt.datetime:
    """Give a naive datetime the local timezone (PDF/A dates need an offset), drop µs."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.replace(microsecond=0)


def xmp_date(moment: dt.datetime) -> str:
    """``2025-03-04T09:15:00+07:00``"""
    return aware(moment).isoformat()


def pdf_date(moment: dt.datetime) -> str:
    """``D:20250304091500+07'00'``: the PDF date form of the same instant as :func:`xmp_date`."""
    moment = aware(moment)
    offset = moment.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"D:{moment:%Y%m%d%H%M%S}{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


def _text(value: str) -> str:
    return escape(_XML_INVALID.sub("", value))


def info_entries(
    metadata: DocumentMetadata, *, creator_tool: str, modified: dt.datetime
) -> dict[str, str]:
    """Document info entries that mirror :func:`build_xmp` (same strings, same instants)."""
    return {
        "/Title": _XML_INVALID.sub("", metadata.title),
        "/Producer": _XML_INVALID.sub("", metadata.producer),
        "/Creator": _XML_INVALID.sub("", creator_tool),
        "/CreationDate": pdf_date(metadata.created),
        "/ModDate": pdf_date(modified),
    }


def build_xmp(
    metadata: DocumentMetadata,
    *,
    level: PdfALevel,
    creator_tool: str,
    modified: dt.datetime,
) -> bytes:
    """The XMP packet (UTF-8) for a PDF/A document of ``level``."""
    part, conformance = level[0], level[1].upper()
    custom = {
        "documentId": metadata.document_id,
        "documentType": metadata.doc_type,
        "unitCode": metadata.unit_code,
        "unitName": metadata.unit_name,
    }
    custom_xml = "".join(
        f"   <{PROJECT_PREFIX}:{name}>{_text(value)}</{PROJECT_PREFIX}:{name}>\n"
        for name, value in custom.items()
        if value is not None
    )
    properties_xml = "".join(
        '        <rdf:li rdf:parseType="Resource">\n'
        f"         <pdfaProperty:name>{name}</pdfaProperty:name>\n"
        "         <pdfaProperty:valueType>Text</pdfaProperty:valueType>\n"
        f"         <pdfaProperty:category>{category}</pdfaProperty:category>\n"
        f"         <pdfaProperty:description>{_text(description)}</pdfaProperty:description>\n"
        "        </rdf:li>\n"
        for name, category, description in _CUSTOM_PROPERTIES
    )
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>{part}</pdfaid:part>
   <pdfaid:conformance>{conformance}</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title>
    <rdf:Alt>
     <rdf:li xml:lang="x-default">{_text(metadata.title)}</rdf:li>
    </rdf:Alt>
   </dc:title>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>{xmp_date(metadata.created)}</xmp:CreateDate>
   <xmp:ModifyDate>{xmp_date(modified)}</xmp:ModifyDate>
   <xmp:CreatorTool>{_text(creator_tool)}</xmp:CreatorTool>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{_text(metadata.producer)}</pdf:Producer>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:{PROJECT_PREFIX}="{PROJECT_NS}">
{custom_xml}  </rdf:Description>
  <rdf:Description rdf:about=""
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas>
    <rdf:Bag>
     <rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>Digitizer document record</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>{PROJECT_NS}</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>{PROJECT_PREFIX}</pdfaSchema:prefix>
      <pdfaSchema:property>
       <rdf:Seq>
{properties_xml}       </rdf:Seq>
      </pdfaSchema:property>
     </rdf:li>
    </rdf:Bag>
   </pdfaExtension:schemas>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""
    # Padding lets in-place editors grow the packet without rewriting the file.
    return (packet + (" " * 99 + "\n") * 20 + '<?xpacket end="w"?>').encode("utf-8")


def _set_property(xmp: str, qname: str, namespace: str, value: str) -> str:
    """Set the simple property ``qname`` (``prefix:name``) in a serialised XMP packet.

    Handles the element form (``<pdf:Producer>x</pdf:Producer>``, what :func:`build_xmp`
    writes) and the attribute form (``pdf:Producer="x"``); if the property is absent, it
    is added in a description of its own.
    """
    text = _text(value)
    element = re.compile(rf"<{qname}>.*?</{qname}>|<{qname}\s*/>", re.DOTALL)
    if element.search(xmp):
        return element.sub(lambda _: f"<{qname}>{text}</{qname}>", xmp, count=1)
    attribute = re.compile(rf'(\s{qname}=)(["\']).*?\2', re.DOTALL)
    if attribute.search(xmp):
        quoted = text.replace('"', "&quot;")
        return attribute.sub(lambda m: f'{m.group(1)}"{quoted}"', xmp, count=1)
    prefix = qname.split(":", 1)[0]
    description = (
        f'  <rdf:Description rdf:about="" xmlns:{prefix}="{namespace}">'
        f"<{qname}>{text}</{qname}></rdf:Description>\n </rdf:RDF>"
    )
    if "</rdf:RDF>" not in xmp:
        raise ValueError("XMP packet has no rdf:RDF element")
    return xmp.replace("</rdf:RDF>", description, 1)


def update_xmp_revision(xmp: bytes, *, producer: str, modified: dt.datetime) -> bytes:
    """Return ``xmp`` with ``pdf:Producer`` and ``xmp:ModifyDate`` replaced, all else intact.

    Used when a later revision (a signature) changes the document info: the packet keeps
    its exact form, extension schema included, which a generic XMP re-serialiser mangles.
    """
    text = xmp.decode("utf-8")
    text = _set_property(text, "pdf:Producer", "http://ns.adobe.com/pdf/1.3/", producer)
    text = _set_property(text, "xmp:ModifyDate", "http://ns.adobe.com/xap/1.0/", xmp_date(modified))
    return text.encode("utf-8")
