"""``digitizer verify``: is this signed PDF/A the one we made, untouched and still provable?

A digitized copy has legal value only if anyone can check, years later, that it is intact,
signed by the office, timestamped, and really PDF/A.  For each file this checks, with
other people's code where it exists (pyHanko's validator, optionally PDFBox Preflight):

* every signature: the signed bytes (integrity), the signature value, the chain to the
  configured trust roots (the demo CA and the profile's ``trust_roots``), what was
  changed after it (only later signatures and validation data are acceptable), and its
  timestamp when there is one; revocation data embedded in the file (B-LT) is used;
* the PDF/A claim: the XMP ``pdfaid`` identification is there and consistent with the file
  (header version, info dictionary and XMP producer agree, not encrypted);
* that the file is the one the store registered: its SHA-256 equals a document's
  ``output_sha256``, and (looked up with :func:`store_lookup`) the document id written in
  its XMP is that record's, and no other record claims the file: a row pointing at
  another document's signed PDF is named.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pikepdf
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import (
    ModificationLevel,
    PdfSignatureStatus,
    SignatureCoverageLevel,
)
from sqlalchemy import select

from digitizer import preflight
from digitizer.digest import sha256_of
from digitizer.errors import MissingDependencyError
from digitizer.pdfa.xmp import PROJECT_NS
from digitizer.store import Store
from digitizer.store.models import Document
from digitizer.timestamping import verification_context

__all__ = ["FileReport", "SignatureReport", "StoreLookup", "store_lookup", "verify_file"]

log = logging.getLogger(__name__)

_DOCUMENT_ID = f"{{{PROJECT_NS}}}documentId"  # written by digitizer.pdfa.xmp


@dataclass(slots=True)
class SignatureReport:
    name: str
    signer: str = ""
    signing_time: str | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    coverage: str = ""
    changed_after: str = ""
    timestamp: str = "none"  # none | valid | invalid
    timestamp_time: str | None = None
    long_term: bool = False  # revocation data embedded (PAdES B-LT)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class FileReport:
    path: str
    sha256: str = ""
    signatures: list[SignatureReport] = field(default_factory=list)
    pdfa: str | None = None  # the claim, e.g. "1B"
    preflight: str = "not run"
    document_id: str | None = None
    embedded_id: str | None = None  # the document id in the file's XMP
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.ok for s in self.signatures)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["ok"] = self.ok
        for sig, report in zip(data["signatures"], self.signatures, strict=True):
            sig["ok"] = report.ok
        return data


class StoreLookup:
    """The store's records of signed files: called with a file's SHA-256, the id of the
    document it is; :meth:`claimants`, every record that names it."""

    def __init__(self, url: str) -> None:
        self.store = Store(url)

    def claimants(self, sha256: str) -> list[str]:
        with self.store.session() as s:
            return sorted(
                s.scalars(select(Document.id).where(Document.output_sha256 == sha256).limit(50))
            )

    def __call__(self, sha256: str) -> str | None:
        found = self.claimants(sha256)
        return found[0] if found else None


def store_lookup(url: str) -> StoreLookup:
    """The store's records, for :func:`verify_file` (the document id check included)."""
    return StoreLookup(url)


def _check_claimants(report: FileReport, claimants: list[str]) -> None:
    """The file is the document whose id is in its XMP, and no other record claims it."""
    if not claimants:
        return
    embedded = report.embedded_id
    if embedded in claimants:
        report.document_id = embedded
    others = [c for c in claimants if c != embedded]
    if others:
        report.problems.append(
            f"the store's record(s) {', '.join(others)} name this file, but it is document "
            f"{embedded or '(no id in its XMP)'}: a record points at another document's PDF"
        )


def verify_file(
    path: Path,
    trust_roots: list[asn1_x509.Certificate],
    lookup: Callable[[str], str | None] | None,
    *,
    preflight: bool = False,
) -> FileReport:
    """Check one file; every problem found is a line in ``problems`` (never raises for it)."""
    report = FileReport(path=str(path))
    try:
        report.sha256 = sha256_of(path)
    except OSError as exc:
        report.problems.append(f"cannot read: {exc.strerror or exc}")
        return report
    if lookup is not None:
        report.document_id = lookup(report.sha256)
        if report.document_id is None:
            report.problems.append(
                "not the file the store registered: its SHA-256 matches no signed document"
            )
    _check_signatures(path, trust_roots, report)
    _check_pdfa_claim(path, report)
    if isinstance(lookup, StoreLookup) and report.document_id is not None:
        _check_claimants(report, lookup.claimants(report.sha256))
    if preflight:
        _run_preflight(path, report)
    return report


def _check_signatures(
    path: Path, trust_roots: list[asn1_x509.Certificate], report: FileReport
) -> None:
    try:
        with path.open("rb") as stream:
            reader = PdfFileReader(stream, strict=False)
            signatures = reader.embedded_signatures
            if not signatures:
                report.problems.append("no signature")
                return
            try:
                dss = DocumentSecurityStore.read_dss(reader)
            except NoDSSFoundError:
                dss = None
            for index, sig in enumerate(signatures):
                last = index == len(signatures) - 1
                report.signatures.append(_check_one(sig, trust_roots, dss, last=last))
    except Exception as exc:  # a damaged file breaks the parser in many ways
        detail = " ".join(str(exc).split()) or type(exc).__name__
        report.problems.append(f"cannot read the signatures (damaged file?): {detail}")


def _check_one(
    sig: object,
    roots: list[asn1_x509.Certificate],
    dss: DocumentSecurityStore | None,
    *,
    last: bool,
) -> SignatureReport:
    name = str(getattr(sig, "field_name", "?"))
    out = SignatureReport(name=name)
    kwargs: dict[str, object] = {"trust_roots": roots, "allow_fetching": False}
    if dss is not None:
        context = dss.as_validation_context({**kwargs, "revocation_mode": "soft-fail"})
        out.long_term = bool(dss.ocsps or dss.crls)
    else:
        context = verification_context(roots)
    try:
        status: PdfSignatureStatus = validate_pdf_signature(sig, context)  # type: ignore[arg-type]
    except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
        out.problems.append(f"signature cannot be checked: {' '.join(str(exc).split())}")
        return out
    out.signer = status.signing_cert.subject.human_friendly
    out.signing_time = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    out.intact, out.valid, out.trusted = status.intact, status.valid, status.trusted
    out.coverage = status.coverage.name if status.coverage else "UNKNOWN"
    level = status.modification_level
    out.changed_after = level.name if level is not None else "UNKNOWN"
    if not status.intact:
        out.problems.append("the signed bytes were changed: the document is not what was signed")
    elif not status.valid:
        out.problems.append("the signature value does not verify")
    if status.intact and status.valid and not status.trusted:
        out.problems.append(
            "the certificate does not chain to a configured trust root (demo CA or the "
            "profile's [signing] trust_roots), or it is revoked"
        )
    if status.coverage not in (
        SignatureCoverageLevel.ENTIRE_FILE,
        SignatureCoverageLevel.ENTIRE_REVISION,
    ):
        out.problems.append("the signature does not cover a whole revision of the file")
    allowed = ModificationLevel.LTA_UPDATES if last else ModificationLevel.FORM_FILLING
    if level is None or level.value > allowed.value or not status.docmdp_ok:
        out.problems.append(
            f"the file was changed after this signature ({out.changed_after}) beyond adding "
            "signatures and validation data"
        )
    ts = status.timestamp_validity
    if ts is not None:
        out.timestamp_time = ts.timestamp.isoformat()
        out.timestamp = "valid" if ts.intact and ts.valid and ts.trusted else "invalid"
        if out.timestamp != "valid":
            out.problems.append(
                "the timestamp is not valid or its authority is not among the trust roots"
            )
    return out


def _check_pdfa_claim(path: Path, report: FileReport) -> None:
    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                report.problems.append("PDF/A: the file is encrypted")
            meta = pdf.open_metadata()
            report.embedded_id = meta.get(_DOCUMENT_ID) or None
            part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
            if not part or not conformance:
                report.problems.append("PDF/A: the XMP has no pdfaid:part/conformance claim")
                return
            report.pdfa = f"{part}{conformance}"
            if part not in ("1", "2", "3") or conformance not in ("A", "B", "U"):
                report.problems.append(f"PDF/A: unknown claim {report.pdfa}")
            if part == "1" and pdf.pdf_version > "1.4":
                report.problems.append(f"PDF/A-1 with a PDF {pdf.pdf_version} header")
            info_producer = str(pdf.docinfo.get("/Producer", ""))
            if meta.get("pdf:Producer", "") != info_producer:
                report.problems.append("PDF/A: info /Producer and XMP pdf:Producer differ")
    except pikepdf.PdfError as exc:
        report.problems.append(f"PDF/A: cannot open the file: {exc}")


def _run_preflight(path: Path, report: FileReport) -> None:
    if report.pdfa is None or not report.pdfa.startswith("1"):
        report.preflight = "not checked (PDFBox Preflight validates PDF/A-1b only)"
        return
    try:
        valid, text = preflight.validate_a1b(path)
    except MissingDependencyError as exc:
        report.preflight = "not available"
        report.problems.append(f"--preflight: {exc}")
        return
    if valid:
        report.preflight = "valid PDF/A-1b"
    else:
        report.preflight = "invalid"
        report.problems.append("PDFBox Preflight: " + " ".join(text.split())[:300])
