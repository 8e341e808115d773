"""Signing throughput: documents per second with PKCS#12, a SoftHSM2 token, and B-T / B-LT.

Printed beside the pipeline's own pages/min on the committed samples, to show whether
signing could ever be what limits a workstation (target: >= 20 documents/s with PKCS#12).

    .venv/bin/python -m benchmarks.bench_signing [--docs 100] [--no-pipeline]

SoftHSM2 and certomancer are needed (scripts/setup.sh installs them); the token and the
test PKI with its timestamp server are made in a temporary folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path


def _rate(label: str, signer: object, unsigned: Path, out: Path, docs: int) -> float:
    from digitizer.signing import Signer, sign_pdf

    assert isinstance(signer, Signer)
    sign_pdf(signer, unsigned, out / "warm.pdf", reason="bench", location=None)
    started = time.perf_counter()
    for i in range(docs):
        sign_pdf(signer, unsigned, out / f"{label}-{i}.pdf", reason="bench", location=None)
    rate = docs / (time.perf_counter() - started)
    print(f"{label:28} {rate:7.1f} documents/s  ({1000 / rate:.0f} ms each, {docs} documents)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--no-pipeline", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-signing-"))
    os.environ["SOFTHSM2_CONF"] = str(tmp / "hsm" / "softhsm2.conf")  # before any module load

    from benchmarks.common import ROOT, run_pipeline
    from digitizer.pdfa import write_pdfa
    from digitizer.pkcs11_token import TokenSpec
    from digitizer.signing import SignerSpec, open_signer
    from digitizer.stamp import StampSpec
    from tests.pki import SOFTHSM_MODULE, make_softhsm_token, running_pki
    from tests.test_pdfa import make_page, sample_metadata

    unsigned = tmp / "unsigned.pdf"
    write_pdfa([make_page("RGB"), make_page("1")], sample_metadata(), unsigned, level="2b")
    few = max(10, args.docs // 5)
    print(f"signing a 2-page PDF/A-2b of {unsigned.stat().st_size // 1024} KiB, one process")
    with running_pki(tmp / "pki") as pki:
        p12 = SignerSpec(p12=pki.signer_p12, p12_password=pki.p12_password)
        p12_rate = _rate("PKCS#12, B-B", open_signer(p12), unsigned, tmp, args.docs)
        stamped = dataclasses.replace(p12, stamp=StampSpec("UBND xã Tân Dĩnh"))
        stamp_rate = _rate("PKCS#12, B-B, visible stamp", open_signer(stamped), unsigned, tmp, few)
        print(
            f"{'visible stamp (QR + text)':28} "
            f"{1000 / stamp_rate - 1000 / p12_rate:+7.0f} ms more a document"
        )
        token = make_softhsm_token(
            tmp / "hsm",
            pki.signer_key_pem,
            pki.signer_cert_der,
            label="bench",
            key_label="k",
            pin="1234",
        )
        hsm = SignerSpec(token=TokenSpec(SOFTHSM_MODULE, token.label, "k", "1234"))
        signer = open_signer(hsm)
        _rate("SoftHSM2 (PKCS#11), B-B", signer, unsigned, tmp, args.docs)
        signer.close()
        bt = SignerSpec(
            p12=pki.signer_p12, p12_password=pki.p12_password, timestamp_url=pki.tsa_url
        )
        _rate("PKCS#12, B-T (local TSA)", open_signer(bt), unsigned, tmp, few)
        blt = SignerSpec(
            p12=pki.signer_p12,
            p12_password=pki.p12_password,
            timestamp_url=pki.tsa_url,
            ltv=True,
            trust_roots=(pki.root_pem,),
        )
        _rate("PKCS#12, B-LT (local OCSP)", open_signer(blt), unsigned, tmp, few)
    print(f"target >= 20 documents/s with PKCS#12: {'met' if p12_rate >= 20 else 'NOT met'}")
    if not args.no_pipeline:
        scans = ROOT / "samples" / "scans"
        seconds, rows = run_pipeline(scans, tmp / "home", workers=os.cpu_count() or 1)
        pages = sum(len(r["pages"]) for r in rows)  # type: ignore[arg-type,misc]
        print(
            f"pipeline on {len(rows)} sample files: {pages} pages in {seconds:.1f} s = "
            f"{pages / seconds * 60:.0f} pages/min ({len(rows) / seconds:.2f} documents/s); "
            f"signing is {p12_rate / max(len(rows) / seconds, 1e-9):.0f}x faster than that"
        )


if __name__ == "__main__":
    main()
