"""PAdES B-T and B-LT against a real test PKI on loopback (certomancer's animator)."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pikepdf
import pytest

from digitizer.errors import SigningError
from digitizer.pdfa import write_pdfa
from digitizer.pkcs11_token import retry_later
from digitizer.signing import SignerSpec, open_signer, sign_pdf
from digitizer.timestamping import check_timestamp_server, load_certificates
from digitizer.verify import verify_file
from tests.checkers import assert_signed_twice_as_pdfa_1b, pdfsig_valid, preflight_a1b
from tests.pki import OfficePki
from tests.test_pdfa import make_page, sample_metadata


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "unsigned-1b.pdf"
    write_pdfa([make_page("RGB")], sample_metadata(), out, level="1b")
    return out


def _spec(pki: OfficePki, **kw: object) -> SignerSpec:
    return SignerSpec(
        p12=pki.signer_p12,
        p12_password=pki.p12_password,
        timestamp_url=pki.tsa_url,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("ltv", [False, True], ids=["B-T", "B-LT"])
def test_timestamped_signatures_stay_pdfa_and_verify(
    pki: OfficePki, unsigned: Path, tmp_path: Path, ltv: bool
) -> None:
    signer = open_signer(_spec(pki, ltv=ltv, trust_roots=(pki.root_pem,)))
    once, twice = tmp_path / "once.pdf", tmp_path / "twice.pdf"
    level = "B-LT" if ltv else "B-T"
    assert sign_pdf(signer, unsigned, once, reason="r", location="l") == level
    assert sign_pdf(signer, once, twice, reason="second", location="l") == level
    assert_signed_twice_as_pdfa_1b(once, twice)
    with pikepdf.open(twice) as pdf:
        assert ("/DSS" in pdf.Root) == ltv
        if ltv:
            assert len(pdf.Root.DSS.OCSPs) >= 1 and len(pdf.Root.DSS.CRLs) >= 1
        meta = pdf.open_metadata()
        assert meta["pdf:Producer"] == str(pdf.docinfo["/Producer"])
    checked = verify_file(twice, load_certificates([pki.root_pem]), None)
    assert checked.ok, checked
    assert [s.timestamp for s in checked.signatures] == ["valid", "valid"]
    assert all(s.long_term == ltv for s in checked.signatures)


def test_ltv_without_reachable_revocation_falls_back_to_bt(
    pki: OfficePki, unsigned: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # trust roots that are not this chain's: revocation data cannot be validated
    signer = open_signer(_spec(pki, ltv=True, trust_roots=(pki.interm_pem,)))
    out = tmp_path / "bt.pdf"
    with caplog.at_level(logging.WARNING):
        assert sign_pdf(signer, unsigned, out, reason="r", location=None) == "B-T"
    assert "signed PAdES B-T only" in caplog.text
    assert pdfsig_valid(out)[0]
    assert preflight_a1b(out)[0]


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"


def test_timestamp_server_down_means_retry_later(
    pki: OfficePki, unsigned: Path, tmp_path: Path
) -> None:
    url = _closed_port_url()
    with pytest.raises(SigningError) as excinfo:
        check_timestamp_server(url)
    assert retry_later(str(excinfo.value)) and url in str(excinfo.value)
    signer = open_signer(
        SignerSpec(p12=pki.signer_p12, p12_password=pki.p12_password, timestamp_url=url)
    )
    with pytest.raises(SigningError) as excinfo:
        sign_pdf(signer, unsigned, tmp_path / "out.pdf", reason="r", location=None)
    assert retry_later(str(excinfo.value)), excinfo.value
    assert list(tmp_path.iterdir()) == []
