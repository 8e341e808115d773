"""Demo keys and PAdES signing: pdfsig must accept the signatures, Preflight the PDF/A."""

from __future__ import annotations

import datetime as dt
import stat
import time
from pathlib import Path

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.generic import parse_pdf_date

from digitizer.errors import CertificateError, SigningError
from digitizer.keys import DemoKeys, describe_certificate, init_demo_keys
from digitizer.pdfa import write_pdfa
from digitizer.signing import Signer, load_signer, sign_pdf
from tests.checkers import pdfsig_valid, pdftotext, preflight_a1b, qpdf_check
from tests.test_pdfa import LINES, make_page, sample_metadata

REASON = "Số hóa hồ sơ thủ tục hành chính"
LOCATION = "Bộ phận một cửa xã Tân Dĩnh"


@pytest.fixture(scope="module")
def demo_keys(tmp_path_factory: pytest.TempPathFactory) -> DemoKeys:
    return init_demo_keys(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def signer(demo_keys: DemoKeys) -> Signer:
    return load_signer(demo_keys.p12_path, demo_keys.password())


@pytest.fixture(scope="module")
def unsigned_1b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "unsigned-1b.pdf"
    write_pdfa([make_page("RGB"), make_page("1")], sample_metadata(), out, level="1b")
    return out


def _make_p12(
    path: Path,
    *,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    password: bytes = b"secret",
) -> Path:
    """A self-signed certificate + key in a PKCS#12 file, with chosen validity and key."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test signer")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"test", key, cert, None, serialization.BestAvailableEncryption(password)
        )
    )
    return path


# --- demo keys -------------------------------------------------------------------------


def test_demo_keys_files_and_modes(demo_keys: DemoKeys) -> None:
    assert demo_keys.ca_cert_path.name == "demo-ca.pem"
    assert demo_keys.p12_path.name == "demo-signer.p12"
    assert demo_keys.password_path.name == "demo-signer.password"
    assert demo_keys.p12_path.parent.name == "keys"
    assert stat.S_IMODE(demo_keys.password_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(demo_keys.p12_path.stat().st_mode) == 0o600
    assert len(demo_keys.password()) >= 24


def test_demo_keys_are_idempotent(tmp_path: Path) -> None:
    first = init_demo_keys(tmp_path)
    contents = {
        p: p.read_bytes() for p in (first.p12_path, first.password_path, first.ca_cert_path)
    }
    second = init_demo_keys(tmp_path)
    assert first.created and not second.created
    assert {p: p.read_bytes() for p in contents} == contents


def test_incomplete_demo_keys_are_not_overwritten(tmp_path: Path) -> None:
    keys = init_demo_keys(tmp_path)
    keys.password_path.unlink()
    p12 = keys.p12_path.read_bytes()
    with pytest.raises(CertificateError, match=r"demo-signer\.password"):
        init_demo_keys(tmp_path)
    assert keys.p12_path.read_bytes() == p12


def test_demo_certificate_is_marked_demo_rsa_and_for_signing(demo_keys: DemoKeys) -> None:
    info = describe_certificate(demo_keys.p12_path, demo_keys.password())
    assert "DEMO" in info.subject and "not for legal use" in info.subject
    assert "Bộ phận một cửa" in info.subject
    assert "O=digitizer demo" in info.subject
    assert "DEMO" in info.issuer and info.issuer != info.subject
    assert (
        dt.timedelta(days=5 * 365) <= info.not_after - info.not_before <= dt.timedelta(days=5 * 366)
    )
    loaded = pkcs12.load_pkcs12(demo_keys.p12_path.read_bytes(), demo_keys.password())
    assert loaded.cert is not None
    cert = loaded.cert.certificate
    public_key = cert.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.key_size == 2048
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert not usage.key_cert_sign
    ca = x509.load_pem_x509_certificate(demo_keys.ca_cert_path.read_bytes())
    assert ca.subject == cert.issuer
    cert.verify_directly_issued_by(ca)


# --- loading errors --------------------------------------------------------------------


def test_missing_p12(tmp_path: Path) -> None:
    with pytest.raises(CertificateError, match="does not exist"):
        load_signer(tmp_path / "nope.p12", b"x")


def test_wrong_password(demo_keys: DemoKeys) -> None:
    with pytest.raises(CertificateError, match="wrong password") as excinfo:
        load_signer(demo_keys.p12_path, b"not the password")
    assert "\n" not in str(excinfo.value)


def test_password_missing(demo_keys: DemoKeys) -> None:
    with pytest.raises(CertificateError, match="password"):
        load_signer(demo_keys.p12_path, None)


def test_not_a_pkcs12_file(tmp_path: Path, demo_keys: DemoKeys) -> None:
    garbage = tmp_path / "garbage.p12"
    garbage.write_bytes(b"this is not a certificate\n" * 10)
    with pytest.raises(CertificateError, match="not a PKCS#12") as excinfo:
        load_signer(garbage, b"x")
    assert "password" not in str(excinfo.value)
    with pytest.raises(CertificateError, match="PEM"):
        load_signer(demo_keys.ca_cert_path, b"x")


def test_unreadable_p12(tmp_path: Path) -> None:
    with pytest.raises(CertificateError, match="folder"):
        load_signer(tmp_path, b"x")


def test_expired_certificate(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    p12 = _make_p12(
        tmp_path / "old.p12",
        not_before=now - dt.timedelta(days=800),
        not_after=now - dt.timedelta(days=1),
    )
    with pytest.raises(CertificateError, match="expired"):
        load_signer(p12, b"secret")
    # `keys show` must still be able to describe it
    assert describe_certificate(p12, b"secret").not_after < now


def test_not_yet_valid_certificate(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    p12 = _make_p12(tmp_path / "future.p12", not_before=now + dt.timedelta(days=2))
    with pytest.raises(CertificateError, match="not valid until"):
        load_signer(p12, b"secret")


def test_ecdsa_key_is_refused_with_reason(tmp_path: Path) -> None:
    p12 = _make_p12(tmp_path / "ec.p12", key=ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(CertificateError, match="ECDSA") as excinfo:
        load_signer(p12, b"secret")
    assert "PDF/A" in str(excinfo.value) and "RSA" in str(excinfo.value)


# --- signing ---------------------------------------------------------------------------


def test_signed_pdfa1b_stays_valid(signer: Signer, unsigned_1b: Path, tmp_path: Path) -> None:
    valid, report = preflight_a1b(unsigned_1b)
    assert valid, f"unsigned file already invalid: {report}"
    signed = tmp_path / "signed-1b.pdf"
    sign_pdf(signer, unsigned_1b, signed, reason=REASON, location=LOCATION, contact="0123")

    ok, sig_report = pdfsig_valid(signed)
    assert ok, sig_report
    assert "ETSI.CAdES.detached" in sig_report
    assert "SHA-256" in sig_report
    valid, report = preflight_a1b(signed)
    assert valid, report
    # incremental update: the unsigned file is a prefix of the signed one
    assert signed.read_bytes().startswith(unsigned_1b.read_bytes())
    assert signed.read_bytes().startswith(b"%PDF-1.4")
    assert [ln for ln in pdftotext(signed).split("\f")[0].splitlines() if ln] == list(LINES)


def test_signature_dictionary_and_widget(signer: Signer, unsigned_1b: Path, tmp_path: Path) -> None:
    signed = tmp_path / "signed.pdf"
    sign_pdf(signer, unsigned_1b, signed, reason=REASON, location=None)
    with pikepdf.open(signed) as pdf:
        field = pdf.Root.AcroForm.Fields[0]
        assert field.FT == "/Sig"
        assert [float(v) for v in field.Rect] == [0, 0, 0, 0]  # invisible
        assert int(field.F) & 4  # Print: PDF/A requires it
        assert not int(field.F) & 2  # not Hidden
        assert "/AP" in field
        sig = field.V
        assert sig.SubFilter == pikepdf.Name("/ETSI.CAdES.detached")
        assert str(sig.Reason) == REASON
        assert "/Location" not in sig


def test_info_and_xmp_agree_after_signing(
    signer: Signer, unsigned_1b: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_pdf(signer, unsigned_1b, signed, reason=REASON, location=LOCATION)
    with pikepdf.open(signed) as pdf:
        meta = pdf.open_metadata()
        info = pdf.docinfo
        assert meta["pdf:Producer"] == str(info["/Producer"])
        assert str(info["/Producer"]).startswith("digitizer 0.1.0")
        info_dt = parse_pdf_date(str(info["/ModDate"]))
        assert dt.datetime.fromisoformat(meta["xmp:ModifyDate"]) == info_dt
        assert meta["pdfaid:part"] == "1"
        xmp = pdf.Root.Metadata.read_bytes()
        assert b"<pdfaSchema:prefix>dgz</pdfaSchema:prefix>" in xmp


def test_second_signature_keeps_both_valid(
    signer: Signer, unsigned_1b: Path, tmp_path: Path
) -> None:
    once = tmp_path / "once.pdf"
    twice = tmp_path / "twice.pdf"
    sign_pdf(signer, unsigned_1b, once, reason="first", location=LOCATION)
    sign_pdf(signer, once, twice, reason="second", location=LOCATION)
    ok, report = pdfsig_valid(twice)
    assert ok, report
    assert report.count("Signature is Valid.") == 2
    assert "Signature2" in report
    valid, report = preflight_a1b(twice)
    assert valid, report


def test_signed_pdfa2b(signer: Signer, tmp_path: Path) -> None:
    unsigned = tmp_path / "unsigned-2b.pdf"
    signed = tmp_path / "signed-2b.pdf"
    write_pdfa([make_page("L", dpi=200)], sample_metadata(), unsigned, level="2b")
    sign_pdf(signer, unsigned, signed, reason=REASON, location=LOCATION)
    ok, report = qpdf_check(signed)
    assert ok, report
    ok, report = pdfsig_valid(signed)
    assert ok, report
    assert signed.read_bytes().startswith(b"%PDF-1.7")
    with pikepdf.open(signed) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert meta["pdf:Producer"] == str(pdf.docinfo["/Producer"])
        assert "/Filter" not in pdf.Root.Metadata  # PDF/A: metadata stream unfiltered
        assert b"pdfaExtension:schemas" in pdf.Root.Metadata.read_bytes()
        assert "/Version" not in pdf.Root  # pyHanko did not raise the version


def test_sign_in_place(signer: Signer, unsigned_1b: Path, tmp_path: Path) -> None:
    doc = tmp_path / "doc.pdf"
    doc.write_bytes(unsigned_1b.read_bytes())
    sign_pdf(signer, doc, doc, reason=REASON, location=LOCATION)
    assert pdfsig_valid(doc)[0]
    assert [p.name for p in tmp_path.iterdir()] == ["doc.pdf"]


def test_signer_is_reused_for_many_documents(
    signer: Signer, unsigned_1b: Path, tmp_path: Path
) -> None:
    outputs = [tmp_path / f"signed-{i}.pdf" for i in range(5)]
    start = time.perf_counter()
    for out in outputs:
        sign_pdf(signer, unsigned_1b, out, reason=REASON, location=LOCATION)
    per_doc = (time.perf_counter() - start) / len(outputs)
    for out in outputs:
        ok, report = pdfsig_valid(out)
        assert ok, report
    # About 0.03 s here; the bound catches e.g. re-parsing the key for every document.
    assert per_doc < 0.5, f"{per_doc:.3f} s per signature"


def test_missing_source_raises_signing_error(signer: Signer, tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="does not exist"):
        sign_pdf(signer, tmp_path / "missing.pdf", tmp_path / "out.pdf", reason="r", location=None)
    assert list(tmp_path.iterdir()) == []


def test_broken_pdf_raises_signing_error(signer: Signer, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n")
    with pytest.raises(SigningError):
        sign_pdf(signer, broken, tmp_path / "out.pdf", reason="r", location=None)
    assert [p.name for p in tmp_path.iterdir()] == ["broken.pdf"]


def test_signer_expiring_after_load_is_caught(signer: Signer) -> None:
    later = signer.certificate.not_after + dt.timedelta(seconds=1)
    with pytest.raises(CertificateError, match="expired"):
        signer.check_validity(later)
