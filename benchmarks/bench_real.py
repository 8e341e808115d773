"""The pipeline on real scans nobody here made: understanding and text layer, measured.

    .venv/bin/python -m benchmarks.bench_real [--real-dev DIR] [--truth TOML] [--dpi 100]

Runs ``digitizer``'s pipeline (default profile, one worker) on the real administrative
documents of ``shared/real-dev`` and compares with ``benchmarks/data/real_dev_truth.toml``
(read by eye from the pages). Printed:

* doc type right (target ≥ 95 %);
* each field's exact match against the truth, and in all (printed fields ≥ 85 %);
* the share of truth fields auto-accepted as ``ok`` and their precision (≥ 99 %), and every
  wrong value marked ``ok``; handwritten values (number, date) right, in review, wrong-and-ok;
* the text layer's character error rate against raw ``tesseract -l vie`` on the same page
  images, same run, as a ratio (≤ 1.0: the pipeline reads at least as well). The reference
  is the text the truth holds (summary, bodies, signer, recipients…): each truth string is
  aligned with the best-matching stretch of each page reading, so both readings are scored
  on the same known characters;
* seconds a page for the pipeline and for raw Tesseract (the program started per page).

``--dpi 100`` first brings every page down to that resolution (INTER_AREA, as an archive's
or a photocopier's scan), so low-resolution scans are measured too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import tomllib
import unicodedata
from collections import Counter
from pathlib import Path

import cv2
from PIL import Image
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from benchmarks.common import ROOT, run_pipeline
from digitizer.reindex import stored_words
from digitizer.store import Store, default_url
from digitizer.understanding.schema import load_schemas

REAL_DEV = ROOT.parent / "shared" / "real-dev"
TRUTH = ROOT / "benchmarks" / "data" / "real_dev_truth.toml"


def _nfc(value: object) -> str:
    return unicodedata.normalize("NFC", str(value))


def _render(pdf: Path, out: Path, dpi: int | None) -> list[Path]:
    """The PDF's pages at 300 dpi (its scans' resolution), brought down to ``dpi``."""
    stem = out / pdf.stem
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdf), str(stem)], check=True)
    pages = sorted(out.glob(f"{pdf.stem}-*.png"))
    if dpi is not None and dpi != 300:
        for page in pages:
            img = cv2.imread(str(page))
            if img is None:
                raise SystemExit(f"{page}: pdftoppm wrote no readable page")
            small = cv2.resize(img, None, fx=dpi / 300, fy=dpi / 300, interpolation=cv2.INTER_AREA)
            cv2.imwrite(str(page), small)
    return pages


def _as_tiff(pages: list[Path], target: Path, dpi: int) -> None:
    images = [Image.open(p).convert("RGB") for p in pages]
    images[0].save(target, save_all=True, append_images=images[1:], dpi=(dpi, dpi))


def _raw_tesseract(page: Path, dpi: int) -> tuple[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        ["tesseract", str(page), "-", "-l", "vie", "--dpi", str(dpi)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    return done.stdout, time.perf_counter() - started


def _aligned_errors(reference: str, reading: str) -> int:
    """Edits between ``reference`` and the stretch of ``reading`` that matches it best."""
    flat = " ".join(reading.split())
    hit = fuzz.partial_ratio_alignment(reference, flat)
    if hit is None:
        return len(reference)
    return Levenshtein.distance(reference, flat[hit.dest_start : hit.dest_end])


def _text_fields() -> tuple[str, ...]:
    """The administrative document's free-text fields (the known text to score CER on; the
    kind is one of a list, not text the OCR must get right letter by letter)."""
    schema = load_schemas(ROOT / "schemas").get("administrative_document")
    assert schema is not None
    return tuple(f.name for f in schema.fields if f.type == "text" and f.name != "document_kind")


def _references(truth: dict[str, object]) -> list[str]:
    fields = truth["fields"]
    assert isinstance(fields, dict)
    out = []
    for name in _text_fields():
        value = fields.get(name)
        if isinstance(value, str):
            out += [part for part in (p.strip() for p in value.split(";")) if len(part) >= 8]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--real-dev", type=Path, default=REAL_DEV)
    ap.add_argument("--truth", type=Path, default=TRUTH)
    ap.add_argument("--dpi", type=int, default=None, help="bring the pages down to this first")
    ap.add_argument("--keep", type=Path, help="keep the rendered pages and outputs here")
    args = ap.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    truth = {d["file"]: d for d in tomllib.loads(args.truth.read_text())["documents"]}
    work = args.keep or Path(tempfile.mkdtemp(prefix="digitizer-real-"))
    scans, renders, home = work / "scans", work / "pages", work / "home"
    for folder in (scans, renders):
        folder.mkdir(parents=True, exist_ok=True)
    dpi = args.dpi or 300
    pages: dict[str, list[Path]] = {}
    for name in sorted(truth):
        pdf = args.real_dev / name
        pages[name] = _render(pdf, renders, args.dpi)
        _as_tiff(pages[name], scans / f"{pdf.stem}.tif", dpi)
    seconds, rows = run_pipeline(scans, home, 1)
    n_pages = sum(len(p) for p in pages.values())
    by_name = {Path(str(r["source"])).with_suffix(".pdf").name: r for r in rows}
    _report_fields(truth, by_name)
    _report_text(truth, by_name, pages, home, dpi, seconds, n_pages)


def _report_fields(truth: dict[str, dict[str, object]], rows: dict[str, dict[str, object]]) -> None:
    typed = sum(1 for name, t in truth.items() if rows[name].get("doc_type") == t["doc_type"])
    print(f"documents {len(truth)}: doc type right {typed}/{len(truth)}")
    per_field: dict[str, Counter[str]] = {}
    wrong_ok: list[str] = []
    hand = Counter[str]()
    for name, t in truth.items():
        fields = rows[name].get("fields") or {}
        assert isinstance(fields, dict) and isinstance(t["fields"], dict)
        handwritten = set(t.get("handwritten", []))  # type: ignore[call-overload]
        for field, want in t["fields"].items():
            got = fields.get(field)
            tally = per_field.setdefault(field, Counter())
            tally["total"] += 1
            right = got is not None and _nfc(got["value"]) == _nfc(want)
            ok = got is not None and got["status"] == "ok"
            tally["right"] += right
            tally["ok"] += ok
            tally["ok_right"] += ok and right
            if ok and not right and got is not None:
                wrong_ok.append(f"{name} {field}: {got['value']!r} (truth {want!r})")
            if field in handwritten:
                hand["total"] += 1
                hand["right"] += right
                hand["review"] += got is not None and not ok
                hand["wrong_ok"] += ok and not right
    total = Counter[str]()
    print(f"{'field':24} {'exact':>12} {'auto-ok':>9} {'precision':>10}")
    for field, tally in per_field.items():
        total.update(tally)
        precision = tally["ok_right"] / tally["ok"] if tally["ok"] else float("nan")
        share, auto = tally["right"] / tally["total"], tally["ok"] / tally["total"]
        print(
            f"{field:24} {tally['right']:>4}/{tally['total']:<3} {share:5.0%}"
            f" {auto:8.0%} {precision:10.1%}"
        )
    precision = total["ok_right"] / total["ok"] if total["ok"] else float("nan")
    share, auto = total["right"] / total["total"], total["ok"] / total["total"]
    print(
        f"{'all fields':24} {total['right']:>4}/{total['total']:<3} "
        f"{share:5.1%} {auto:8.1%} {precision:10.1%}"
    )
    print(
        f"handwritten values: {hand['total']}, right {hand['right']}, in review {hand['review']},"
        f" wrong and ok {hand['wrong_ok']}"
    )
    for line in wrong_ok:
        print("  WRONG AND OK:", line)


def _report_text(
    truth: dict[str, dict[str, object]],
    rows: dict[str, dict[str, object]],
    pages: dict[str, list[Path]],
    home: Path,
    dpi: int,
    seconds: float,
    n_pages: int,
) -> None:
    store = Store(default_url(home))
    with store.session() as s:
        words = stored_words(s, [str(r["document_id"]) for r in rows.values()])
    store.close()
    errors = {"pipeline": 0, "raw": 0}
    length = 0
    raw_seconds = 0.0
    for name, t in truth.items():
        layer = " ".join(
            w.text for page in words.get(str(rows[name]["document_id"]), []) for w in page
        )
        raw_parts = []
        for page in pages[name]:
            text, spent = _raw_tesseract(page, dpi)
            raw_parts.append(text)
            raw_seconds += spent
        raw = " ".join(raw_parts)
        for ref in _references(t):
            length += len(ref)
            errors["pipeline"] += _aligned_errors(ref, layer)
            errors["raw"] += _aligned_errors(ref, raw)
    cer = {k: v / max(1, length) for k, v in errors.items()}
    ratio = cer["pipeline"] / max(cer["raw"], 1e-9)
    print(
        f"text layer CER on {length} known characters: pipeline {cer['pipeline']:.2%},"
        f" raw tesseract -l vie {cer['raw']:.2%}, ratio {ratio:.2f}"
    )
    print(
        f"seconds a page ({n_pages} pages, {dpi} dpi): pipeline {seconds / n_pages:.2f}"
        f" (everything: OCR, understanding, PDF/A, signing, store), raw tesseract"
        f" {raw_seconds / n_pages:.2f}; throughput ratio {raw_seconds / seconds:.2f}x"
    )


if __name__ == "__main__":
    main()
