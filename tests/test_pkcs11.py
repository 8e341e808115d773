"""Signing with a key on a PKCS#11 token: a real SoftHSM2 token the tests create.

SoftHSM reads ``SOFTHSM2_CONF`` once per process, when its module is first loaded: the
token folder is set for the whole test process here, before anything loads the module.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digitizer.errors import CertificateError, SigningError
from digitizer.pdfa import write_pdfa
from digitizer.pkcs11_token import UNAVAILABLE, TokenSpec, retry_later
from digitizer.signing import SignerSpec, load_signer, open_signer, sign_pdf
from digitizer.timestamping import load_certificates
from digitizer.verify import verify_file
from tests.checkers import assert_signed_twice_as_pdfa_1b, pdfsig_valid
from tests.cli import run_digitizer
from tests.pki import SOFTHSM_MODULE, OfficePki, SoftToken, make_softhsm_token
from tests.test_pdfa import make_page, sample_metadata

ROOT = Path(__file__).resolve().parents[1]
PIN = "4321"


@pytest.fixture(scope="module")
def token(pki: OfficePki, tmp_path_factory: pytest.TempPathFactory) -> SoftToken:
    folder = tmp_path_factory.mktemp("softhsm")
    conf = os.environ.setdefault("SOFTHSM2_CONF", str(folder / "softhsm2.conf"))
    return make_softhsm_token(
        Path(conf).parent,
        pki.signer_key_pem,
        pki.signer_cert_der,
        label="office-token",
        key_label="office-signer",
        pin=PIN,
    )


def _spec(pki: OfficePki, token: SoftToken, *, pin: str = PIN, label: str = "") -> SignerSpec:
    return SignerSpec(
        token=TokenSpec(SOFTHSM_MODULE, label or token.label, token.key_label, pin),
        chain=(pki.interm_pem,),
    )


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "unsigned-1b.pdf"
    write_pdfa([make_page("RGB")], sample_metadata(), out, level="1b")
    return out


def test_token_signature_is_valid_and_keeps_pdfa(
    pki: OfficePki, token: SoftToken, unsigned: Path, tmp_path: Path
) -> None:
    signer = open_signer(_spec(pki, token))
    try:
        assert "Bộ phận một cửa" in signer.certificate.subject
        once, twice = tmp_path / "once.pdf", tmp_path / "twice.pdf"
        assert sign_pdf(signer, unsigned, once, reason="r", location="l") == "B-B"
        # a second signature, by the PKCS#12 copy of another key: an incremental update
        demo = load_signer(pki.signer_p12, pki.p12_password)
        sign_pdf(demo, once, twice, reason="second", location="l")
    finally:
        signer.close()
    assert_signed_twice_as_pdfa_1b(once, twice)
    # the intermediate the token does not hold was embedded from the profile's `chain`:
    # the signature chains to the root alone
    report_once = verify_file(once, load_certificates([pki.root_pem]), None)
    assert report_once.ok, report_once
    assert report_once.signatures[0].trusted


def test_one_session_signs_many_and_comes_back_after_losing_it(
    pki: OfficePki, token: SoftToken, unsigned: Path, tmp_path: Path
) -> None:
    signer = open_signer(_spec(pki, token))
    try:
        for i in range(3):
            sign_pdf(signer, unsigned, tmp_path / f"{i}.pdf", reason="r", location=None)
        assert signer._token is not None and signer._token._session is not None
        session = signer._token._session
        session.close()  # what a token pulled out of its USB port leaves behind
        with pytest.raises(SigningError) as excinfo:
            sign_pdf(signer, unsigned, tmp_path / "lost.pdf", reason="r", location=None)
        assert retry_later(str(excinfo.value)), excinfo.value
        assert not (tmp_path / "lost.pdf").exists()
        sign_pdf(signer, unsigned, tmp_path / "back.pdf", reason="r", location=None)
        assert signer._token._session is not session  # logged in again by itself
    finally:
        signer.close()
    assert pdfsig_valid(tmp_path / "back.pdf")[0]


def test_wrong_pin_is_one_line_and_not_retried(pki: OfficePki, token: SoftToken) -> None:
    with pytest.raises(CertificateError) as excinfo:
        open_signer(_spec(pki, token, pin="0000"))
    message = str(excinfo.value)
    assert message.startswith(UNAVAILABLE) and "wrong PIN" in message and "\n" not in message
    assert "0000" not in message and PIN not in message
    open_signer(_spec(pki, token)).close()  # one wrong try did not lock the token


def test_absent_token_and_missing_module(pki: OfficePki, token: SoftToken) -> None:
    with pytest.raises(CertificateError, match="plug the USB token in"):
        open_signer(_spec(pki, token, label="not-plugged-in"))
    spec = SignerSpec(token=TokenSpec(Path("/nonexistent/libtoken.so"), "t", "k", PIN))
    with pytest.raises(CertificateError, match="does not exist"):
        open_signer(spec)


def test_pin_is_not_in_repr(pki: OfficePki, token: SoftToken) -> None:
    spec = _spec(pki, token)
    assert PIN not in repr(spec) and "pin" not in repr(spec.token)


def _token_profile(config: Path, token: SoftToken, pki: OfficePki) -> None:
    (config / "scanner_profiles").mkdir(parents=True)
    for name in ("pipelines", "schemas"):
        (config / name).symlink_to(ROOT / name)
    (config / "scanner_profiles" / "token.toml").write_text(
        'name = "token"\n[signing]\n'
        f'pkcs11_module = "{SOFTHSM_MODULE}"\ntoken_label = "{token.label}"\n'
        f'key_label = "{token.key_label}"\npin_env = "OFFICE_PIN"\nchain = ["{pki.interm_pem}"]\n',
        encoding="utf-8",
    )


def test_cli_wrong_pin_stops_before_any_file(
    pki: OfficePki, token: SoftToken, tmp_path: Path
) -> None:
    config, home = tmp_path / "config", tmp_path / "home"
    _token_profile(config, token, pki)
    scan = next(p for p in sorted((ROOT / "samples" / "scans").iterdir()) if p.suffix == ".png")
    proc = run_digitizer(
        home,
        *("process", "--profile", "token", "--json", str(scan)),
        config=config,
        env_extra={"OFFICE_PIN": "9999"},
        timeout=300,
    )
    assert proc.returncode == CertificateError.exit_code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "wrong PIN" in lines[0] and "9999" not in lines[0]
    assert proc.stdout == ""
    assert not (home / "archive").exists() or not any((home / "archive").rglob("*.pdf"))
