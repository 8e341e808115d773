"""The visible signature stamp: Vietnamese text, a QR of the lookup code, PDF/A kept.

Checked with the real tools: poppler renders the page (the QR is read back with
``decode_codes``) and extracts the text, PDFBox Preflight judges PDF/A-1b, ``pdfsig`` the
signatures; the PKCS#11 case signs on a SoftHSM2 token the test creates.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from digitizer.barcodes import decode_codes
from digitizer.errors import ConfigurationError, SigningError
from digitizer.keys import DemoKeys, init_demo_keys
from digitizer.pdfa import write_pdfa
from digitizer.profiles import load_profile
from digitizer.signing import Signer, SignerSpec, open_signer, sign_pdf, spec_for_profile
from digitizer.stamp import MM, StampSpec
from tests.checkers import pdfsig_valid, pdftotext_words, preflight_a1b, render_gray
from tests.pki import SOFTHSM_MODULE, OfficePki, make_softhsm_token
from tests.test_pdfa import make_page, sample_metadata

OFFICE = "UBND xã Tân Dĩnh"
ROOT = Path(__file__).resolve().parents[1]
DOC_ID = "3f9a0c12d4e5b678"  # a document id: the signed file's stem in the archive
_TIME_LINE = re.compile(r"Thời gian ký: (\d\d/\d\d/\d{4} \d\d:\d\d)")


@pytest.fixture(scope="module")
def demo_keys(tmp_path_factory: pytest.TempPathFactory) -> DemoKeys:
    return init_demo_keys(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def stamping(demo_keys: DemoKeys) -> Signer:
    spec = SignerSpec(
        p12=demo_keys.p12_path, p12_password=demo_keys.password(), stamp=StampSpec(OFFICE)
    )
    return open_signer(spec)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("docs")
    out = {}
    for level in ("1b", "2b"):
        out[level] = folder / f"unsigned-{level}.pdf"
        write_pdfa([make_page("RGB"), make_page("1")], sample_metadata(), out[level], level=level)
    return out


def _stamp_lines(path: Path) -> list[str]:
    """Text lines of page 1 that lie inside the signature widget, top to bottom."""
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        height = float(page.mediabox[3])
        (widget,) = [a for a in page.Annots if a.get("/FT") == "/Sig"]
        x0, y0, x1, y1 = (float(v) for v in widget.Rect)
    rows: dict[int, list[tuple[float, str]]] = {}
    for wx0, wy0, wx1, wy1, word in pdftotext_words(path, page=1):
        if x0 <= wx0 and wx1 <= x1 and y0 <= height - wy1 and height - wy0 <= y1:
            rows.setdefault(round(wy0), []).append((wx0, word))
    return [" ".join(w for _, w in sorted(rows[y])) for y in sorted(rows)]


def _signing_time(path: Path) -> dt.datetime:
    with pikepdf.open(path) as pdf:
        (widget,) = [a for a in pdf.pages[0].Annots if a.get("/FT") == "/Sig"]
        raw = str(widget.V.M)  # D:YYYYMMDDHHmmSS+hh'mm'
    return dt.datetime.strptime(raw[2:16], "%Y%m%d%H%M%S")


def _qr_codes(path: Path) -> list[str]:
    with Image.open(render_gray(path, page=1, dpi=200)) as img:
        return [c.value for c in decode_codes(img, 200) if c.kind == "QR_CODE"]


def test_stamp_on_pdfa_1b_text_qr_and_preflight(
    stamping: Signer, docs: dict[str, Path], tmp_path: Path
) -> None:
    signed = tmp_path / f"{DOC_ID}.pdf"
    assert sign_pdf(stamping, docs["1b"], signed, reason="r", location=None) == "B-B"

    lines = _stamp_lines(signed)
    assert lines[0] == f"Ký bởi: {OFFICE}"
    shown = _TIME_LINE.fullmatch(lines[1])
    assert shown, lines
    assert shown.group(1) == f"{_signing_time(signed):%d/%m/%Y %H:%M}"
    assert _qr_codes(signed) == [DOC_ID]  # the lookup code defaults to the document id

    ok, report = preflight_a1b(signed)
    assert ok, report  # needs the /CIDSet added to pyHanko's font subset
    ok, report = pdfsig_valid(signed)
    assert ok, report
    with pikepdf.open(signed) as pdf:
        assert pdf.pdf_version == "1.4"
        descriptors = [
            o
            for o in pdf.objects
            if isinstance(o, pikepdf.Dictionary)
            and o.get("/Type") == "/FontDescriptor"
            and "NotoSans" in str(o.FontName)
        ]
        assert len(descriptors) == 1  # the stamp's font, a subset embedded with its CIDSet
        assert "/FontFile2" in descriptors[0] and "/CIDSet" in descriptors[0]


def test_stamp_on_pdfa_2b_keeps_claim_and_a_second_signature(
    stamping: Signer, demo_keys: DemoKeys, docs: dict[str, Path], tmp_path: Path
) -> None:
    once = tmp_path / f"{DOC_ID}.pdf"
    sign_pdf(stamping, docs["2b"], once, reason="r", location=None, lookup_code="HS-0042")
    assert _qr_codes(once) == ["HS-0042"]
    with pikepdf.open(once) as pdf, pdf.open_metadata() as xmp:
        assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("2", "B")
        assert pdf.pdf_version == "1.7"
        assert str(xmp["pdf:Producer"]) == str(pdf.docinfo["/Producer"])

    invisible = open_signer(SignerSpec(p12=demo_keys.p12_path, p12_password=demo_keys.password()))
    twice = tmp_path / "twice.pdf"
    sign_pdf(invisible, once, twice, reason="second", location=None)
    ok, report = pdfsig_valid(twice)
    assert ok and report.count("Signature is Valid") == 2, report


def test_stamped_1b_survives_a_second_signature_in_preflight(
    stamping: Signer, demo_keys: DemoKeys, docs: dict[str, Path], tmp_path: Path
) -> None:
    once, twice = tmp_path / "once.pdf", tmp_path / "twice.pdf"
    sign_pdf(stamping, docs["1b"], once, reason="r", location=None)
    invisible = open_signer(SignerSpec(p12=demo_keys.p12_path, p12_password=demo_keys.password()))
    sign_pdf(invisible, once, twice, reason="second", location=None)
    ok, report = preflight_a1b(twice)
    assert ok, report


def test_default_box_sits_in_the_bottom_right_margin(
    stamping: Signer, docs: dict[str, Path], tmp_path: Path
) -> None:
    signed = tmp_path / "box.pdf"
    sign_pdf(stamping, docs["1b"], signed, reason="r", location=None)
    with pikepdf.open(signed) as pdf:
        page = pdf.pages[0]
        width = float(page.mediabox[2])
        (widget,) = [a for a in page.Annots if a.get("/FT") == "/Sig"]
        x0, y0, x1, y1 = (float(v) for v in widget.Rect)
    assert y0 == pytest.approx(3 * MM, abs=1) and y1 <= 20 * MM  # in the 20 mm margin
    assert x1 == pytest.approx(width - 3 * MM, abs=1)
    assert x1 - x0 == pytest.approx(75 * MM, abs=1)


def test_stamp_too_big_for_the_page_is_refused(
    demo_keys: DemoKeys, docs: dict[str, Path], tmp_path: Path
) -> None:
    spec = SignerSpec(
        p12=demo_keys.p12_path,
        p12_password=demo_keys.password(),
        stamp=StampSpec(OFFICE, width_mm=200, height_mm=80, margin_mm=50),
    )
    out = tmp_path / "big.pdf"
    with pytest.raises(SigningError, match="does not fit on page 1"):
        sign_pdf(open_signer(spec), docs["1b"], out, reason="r", location=None)
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


# --- profiles --------------------------------------------------------------------------


def _profile(folder: Path, signing: str, unit_name: str = "") -> Path:
    path = folder / "desk.toml"
    body = f'unit_name = "{unit_name}"\n[signing]\npkcs12 = "/srv/keys/office.p12"\n{signing}\n'
    path.write_text(body, encoding="utf-8")
    return path


def test_profile_stamp_keys_and_defaults(tmp_path: Path) -> None:
    plain = load_profile(_profile(tmp_path, "")).signing
    assert not plain.visible_stamp
    assert spec_for_profile(plain, tmp_path).stamp is None

    settings = load_profile(_profile(tmp_path, "visible_stamp = true", OFFICE)).signing
    stamp = spec_for_profile(settings, tmp_path).stamp
    assert stamp == StampSpec(OFFICE, "bottom-right", 75, 16, 3)

    custom = load_profile(
        _profile(
            tmp_path,
            'visible_stamp = true\nstamp_office = "UBND phường Hà Đông"\n'
            'stamp_position = "top-left"\nstamp_width_mm = 90',
            OFFICE,
        )
    ).signing
    assert spec_for_profile(custom, tmp_path).stamp == StampSpec(
        "UBND phường Hà Đông", "top-left", 90, 16, 3
    )


@pytest.mark.parametrize(
    ("signing", "message"),
    [
        ("visible_stamp = true", "'signing.visible_stamp' needs stamp_office"),
        ("visible_stamp = 1", "'signing.visible_stamp' must be true or false"),
        ('stamp_position = "middle"', "'signing.stamp_position' must be one of bottom-right"),
        ("stamp_height_mm = 5", "'signing.stamp_height_mm' must be between 10 and 80"),
        ('stamp_office = "' + "x" * 101 + '"', "'signing.stamp_office' must be at most 100"),
        ("stamp_colour = 1", "'signing.stamp_colour' is not a known setting"),
    ],
)
def test_profile_stamp_errors_name_file_and_key(tmp_path: Path, signing: str, message: str) -> None:
    path = _profile(tmp_path, signing)
    with pytest.raises(ConfigurationError) as caught:
        load_profile(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


# --- PKCS#11 ---------------------------------------------------------------------------


# SoftHSM reads SOFTHSM2_CONF once per process and does not see tokens made after it
# loaded (test_pkcs11 owns this process's token folder): sign in a child process.
_TOKEN_SIGN = """
import sys
from pathlib import Path
from digitizer.pkcs11_token import TokenSpec
from digitizer.signing import SignerSpec, open_signer, sign_pdf
from digitizer.stamp import StampSpec
module, label, key, pin, chain, office, src, dst = sys.argv[1:]
spec = SignerSpec(
    token=TokenSpec(Path(module), label, key, pin),
    chain=(Path(chain),),
    stamp=StampSpec(office),
)
signer = open_signer(spec)
try:
    print(sign_pdf(signer, Path(src), Path(dst), reason="r", location=None))
finally:
    signer.close()
"""


def test_stamp_signed_on_a_pkcs11_token(
    pki: OfficePki, docs: dict[str, Path], tmp_path: Path
) -> None:
    token = make_softhsm_token(
        tmp_path / "hsm",
        pki.signer_key_pem,
        pki.signer_cert_der,
        label="stamp-token",
        key_label="stamp-signer",
        pin="2468",
    )
    signed = tmp_path / f"{DOC_ID}.pdf"
    env = dict(os.environ, SOFTHSM2_CONF=str(tmp_path / "hsm" / "softhsm2.conf"))
    args = [SOFTHSM_MODULE, token.label, token.key_label, "2468", pki.interm_pem, OFFICE]
    proc = subprocess.run(
        [sys.executable, "-c", _TOKEN_SIGN, *map(str, args), docs["1b"], signed],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "B-B", proc.stderr
    assert _stamp_lines(signed)[0] == f"Ký bởi: {OFFICE}"
    assert _qr_codes(signed) == [DOC_ID]
    ok, report = preflight_a1b(signed)
    assert ok, report
    ok, report = pdfsig_valid(signed)
    assert ok, report
