"""`digitizer verify`: integrity, trust, the PDF/A claim and the store's registration."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from digitizer.keys import init_demo_keys
from digitizer.pdfa import write_pdfa
from digitizer.signing import load_signer, sign_pdf
from digitizer.timestamping import load_certificates
from digitizer.verify import verify_file
from tests.cli import run_digitizer
from tests.test_pdfa import make_page, sample_metadata

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A demo-signed PDF/A-1b and the demo CA certificate."""
    home = tmp_path_factory.mktemp("home")
    keys = init_demo_keys(home)
    folder = tmp_path_factory.mktemp("docs")
    unsigned, out = folder / "unsigned.pdf", folder / "signed.pdf"
    write_pdfa([make_page("RGB")], sample_metadata(), unsigned, level="1b")
    sign_pdf(load_signer(keys.p12_path, keys.password()), unsigned, out, reason="r", location=None)
    return out, keys.ca_cert_path


def test_intact_file_verifies(signed: tuple[Path, Path]) -> None:
    path, ca = signed
    report = verify_file(path, load_certificates([ca]), lambda sha: "doc-1", preflight=True)
    assert report.ok, report
    assert report.pdfa == "1B" and report.preflight == "valid PDF/A-1b"
    assert report.document_id == "doc-1"
    assert [s.intact and s.trusted for s in report.signatures] == [True]


def test_a_changed_byte_is_caught(signed: tuple[Path, Path], tmp_path: Path) -> None:
    path, ca = signed
    data = bytearray(path.read_bytes())
    # a byte inside the page image stream: well inside the signed byte range
    at = data.index(b"stream", len(data) // 4) + 200
    data[at] ^= 0x01
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    report = verify_file(changed, load_certificates([ca]), None)
    assert not report.ok
    problems = [p for s in report.signatures for p in s.problems] + report.problems
    assert any("signed bytes were changed" in p for p in problems), problems


def test_untrusted_root_and_unregistered_file_fail(signed: tuple[Path, Path]) -> None:
    path, _ = signed
    report = verify_file(path, [], lambda sha: None)
    assert not report.ok
    assert any("trust root" in p for s in report.signatures for p in s.problems)
    assert any("store registered" in p for p in report.problems)


def test_cli_verify_checks_against_the_store(tmp_path: Path) -> None:
    home = tmp_path / "home"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_digitizer(home, *args, timeout=300)

    scan = ROOT / "samples" / "scans" / "scan_0001.png"
    done = run("process", "--json", str(scan))
    assert done.returncode == 0, done.stderr
    output = Path(json.loads(done.stdout.splitlines()[0])["output"])
    ok = run("verify", "--json", str(output))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = json.loads(ok.stdout)
    assert report["ok"] and report["document_id"] and report["pdfa"] == "2B"
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(output.read_bytes() + b"\n% appended\n")
    bad = run("verify", str(copy))
    assert bad.returncode == 1
    assert "FAILED" in bad.stdout and "store registered" in bad.stdout
