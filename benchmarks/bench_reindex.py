"""Re-index speed: re-extraction from stored words vs full processing, and 10,000 documents.

1. A few committed sample scans go through the real pipeline (one worker): the full
   processing time per document.
2. Those documents are re-read from their stored words (``Reindexer``, every document,
   several rounds): the re-extraction time per document, and the ratio (target ≥ 50×).
3. Copies of the stored documents (their pages, words and fields) are registered under
   fresh ids through the store API, without a schema version, up to ``--documents``; then
   the nightly job of ``pipelines/reindex.toml`` runs over them, every step timed.

Run: ``.venv/bin/python -m benchmarks.bench_reindex [--documents 10000] [--samples 4]``
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from benchmarks.common import ROOT, run_pipeline
from digitizer import reindex as job
from digitizer.config import Layout
from digitizer.profiles import find_profile
from digitizer.records import DocumentResult, FieldValue, PageResult
from digitizer.store import Store, default_url
from digitizer.store.models import Document
from digitizer.timestamping import load_certificates
from digitizer.understanding.schema import load_schemas

SAMPLES = ("scan_0001.png", "scan_0002.jpg", "scan_0003.tif", "scan_0006.tif")


def _templates(store: Store) -> list[DocumentResult]:
    """Every stored document as a registration of its words and fields (no OCR)."""
    out = []
    with store.session() as s:
        for doc in s.scalars(select(Document)):
            pages = []
            for page, words in zip(doc.pages, job.stored_words(s, [doc.id])[doc.id], strict=True):
                pages.append(
                    PageResult(
                        page.width,
                        page.height,
                        page.dpi,
                        page.colour_mode,
                        page.rotation,
                        page.skew_deg,
                        page.ocr_confidence,
                        words,
                    )
                )
            out.append(
                DocumentResult(
                    source=doc.source_path,
                    sha256=doc.sha256,
                    status="registered" if doc.status == "registered" else "needs_review",
                    doc_type=doc.doc_type,
                    fields={
                        f.name: FieldValue(
                            f.value, f.confidence, "ok" if f.status == "ok" else "needs_review"
                        )
                        for f in doc.fields
                    },
                    pages=pages,
                    output=doc.output_path,
                    output_sha256=doc.output_sha256,
                )
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=len(SAMPLES))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-reindex-"))
    try:
        scans = work / "scans"
        scans.mkdir()
        for name in SAMPLES[: args.samples]:
            shutil.copy2(ROOT / "samples" / "scans" / name, scans / name)
        home = work / "home"
        elapsed, rows = run_pipeline(scans, home, workers=1)
        n = len(rows)
        full = elapsed / n
        print(f"full processing: {n} documents in {elapsed:.1f} s = {full * 1000:.0f} ms/document")

        store = Store(default_url(home))
        schemas = load_schemas(ROOT / "schemas")
        reindexer = job.Reindexer(store, schemas, None)
        summary = job.ReindexSummary()
        started = time.perf_counter()
        for _ in range(args.rounds):
            reindexer.reextract(summary, everything=True, batch_size=200)
        per_doc = (time.perf_counter() - started) / summary.examined
        print(
            f"re-extraction from stored words: {summary.examined} readings, "
            f"{per_doc * 1000:.1f} ms/document: {full / per_doc:.0f}x faster (target >= 50x)"
        )

        templates = _templates(store)
        started = time.perf_counter()
        for i in range(args.documents):
            t = templates[i % len(templates)]
            copy = DocumentResult(
                source=f"/copies/{i}/{Path(t.source).name}",
                sha256=f"{i:064x}",
                status=t.status,
                document_id=f"c{i:015d}",
                doc_type=t.doc_type,
                fields=t.fields,
                pages=t.pages,
                output=t.output,
                output_sha256=t.output_sha256,
                schema_version=None,
            )
            store.register(
                copy, profile="default", pdfa_level="2b", ocr_engine="copy", unit_id=None
            )
        print(
            f"registered {args.documents} copies (no OCR) in {time.perf_counter() - started:.1f} s"
        )
        layout = Layout(home=home, config_root=ROOT)
        definition = job.load_definition(layout.pipelines_dir)
        roots = list(
            load_certificates(
                find_profile(layout.profiles_dir, "default").signing.trust_root_paths(home)
            )
        )
        started = time.perf_counter()
        result = job.run(store, layout, schemas, definition, trust_roots=roots)
        total = time.perf_counter() - started
        store.close()
        data = result.to_json()
        print(
            f"reindex of {data['examined']} stale documents ({n + args.documents} in the store): "
            f"{total:.1f} s in all, {data['ms_per_document']} ms/document re-extracted; "
            f"changed {data['changed']}, errors {data['errors']}"
        )
        for step, seconds in data["seconds"].items():
            print(f"  {step:<10} {seconds:8.2f} s")
        check = data["check"] or {}
        # the synthetic documents share one signed PDF: check names them id_mismatch (a
        # record pointing at another document's PDF), which is what it must do
        kinds = sorted({d["problem"] for d in check.get("damaged", [])})
        print(f"  check: documents={check.get('documents')} problems={kinds or 'none'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
