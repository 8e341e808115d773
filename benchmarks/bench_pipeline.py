"""Pipeline speed and accuracy against raw Tesseract, measured in one run on the same pages.

    .venv/bin/python -m benchmarks.bench_pipeline [--count 40] [--seed 2026] [--workers N]

Prints:
* pipeline pages/min with all cores vs raw ``tesseract`` pages/min on the same page images
  with the same languages, run in parallel (the baseline), and their ratio (target >= 0.8);
* peak RSS per worker (target <= 800 MB at 300 dpi A4 colour);
* CER of the signed PDF's text layer (as ``pdftotext`` reads it) against the ground truth,
  orientation accuracy and residual skew (targets: CER <= 2 %, 100 %, median < 0.3 deg);
* what Tesseract's OSD (``--psm 0``) costs and how right it is, beside our orientation step;
* tesserocr vs the tesseract CLI (pytesseract) per page, which decides the default engine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from benchmarks.common import generate, run_pipeline
from digitizer import geometry
from digitizer.ingest import IngestLimits, read_pages
from digitizer.ocr import find_tessdata, open_engine
from digitizer.orientation import orient
from digitizer.runner import collect_inputs


def page_images(scans: list[Path], out: Path) -> list[tuple[Path, float]]:
    """Every input page as a PNG (what raw Tesseract reads), with its dpi."""
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for scan in scans:
        for i, page in enumerate(read_pages(scan, IngestLimits())):
            path = out / f"{scan.stem}-{i}.png"
            page.image.save(path, dpi=(page.dpi, page.dpi))
            pages.append((path, page.dpi))
    return pages


def raw_tesseract(
    pages: list[tuple[Path, float]], workers: int, lang: str, extra: list[str] | None = None
) -> tuple[float, list[str]]:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    def one(item: tuple[Path, float]) -> str:
        path, dpi = item
        cmd = ["tesseract", str(path), "-", "-l", lang, "--dpi", str(round(dpi)), *(extra or [])]
        return subprocess.run(cmd, capture_output=True, text=True, env=env).stdout

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        outputs = list(pool.map(one, pages))
    return time.perf_counter() - started, outputs


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def cer(pdf: Path, truth_lines: list[str]) -> tuple[int, int]:
    """Edit distance and truth length, whitespace-normalised, over the whole document.

    Blocks set side by side (header, husband and wife) come out of ``pdftotext -layout`` on
    one output line, while the truth lists them block by block. So every truth line is
    scored against its best partner among the runs of consecutive words of one output
    line, each word used once: reading order alone does not count as character errors, while
    every character of the truth missing or wrong still does. OCR text the truth does not
    have (signature scribbles, seal lettering) is not charged.
    """
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    candidates: list[tuple[frozenset[tuple[int, int]], str]] = []
    for number, raw in enumerate(line for line in text.splitlines() if line.strip()):
        segments = raw.split()
        for first in range(len(segments)):
            for last in range(first, len(segments)):
                parts = frozenset((number, k) for k in range(first, last + 1))
                candidates.append((parts, _norm(" ".join(segments[first : last + 1]))))
    used: set[tuple[int, int]] = set()
    distance = 0
    truth = [_norm(line) for line in truth_lines if line.strip()]
    for line in truth:
        best: frozenset[tuple[int, int]] | None = None
        best_d = len(line)
        for parts, cand in candidates:
            if parts & used:
                continue
            d = Levenshtein.distance(line, cand, score_cutoff=best_d)
            if d < best_d:
                best, best_d = parts, d
        distance += best_d
        if best is not None:
            used |= best
    return distance, sum(len(line) for line in truth)


def osd_comparison(
    pages: list[tuple[Path, float]], truths: list[int], workers: int
) -> dict[str, float]:
    """Tesseract OSD vs our orientation step (vote + OCR probe when unsure), same pages."""
    from PIL import Image

    osd_time, outputs = raw_tesseract(pages, workers, "osd", ["--psm", "0"])
    osd_right = 0
    for out, truth in zip(outputs, truths, strict=True):
        rotate = next(
            (int(line.split(":")[1]) for line in out.splitlines() if line.startswith("Rotate:")),
            0,
        )
        # OSD's "Rotate" is how far to turn clockwise to make it upright.
        osd_right += int((360 - rotate) % 360 == truth)
    engine = open_engine("tesserocr", ["vie"], find_tessdata())
    images = []
    for path, dpi in pages:
        with Image.open(path) as raw:
            images.append((raw.convert("RGB"), dpi))
    started = time.perf_counter()
    ours_right = 0
    for (page, dpi), truth in zip(images, truths, strict=True):
        _, geom = orient(page, dpi, engine, probe=True)
        ours_right += int(geom.rotation == truth)
    ours_time = time.perf_counter() - started
    engine.close()
    return {
        "osd_s": osd_time,
        "osd_acc": osd_right / len(pages),
        "ours_s": ours_time,
        "ours_acc": ours_right / len(pages),
    }


def engine_comparison(pages: list[tuple[Path, float]]) -> dict[str, float]:
    from PIL import Image

    tessdata = find_tessdata()
    per_page = {}
    for name in ("tesserocr", "cli"):
        engine = open_engine(name, ["vie"], tessdata)
        started = time.perf_counter()
        for path, dpi in pages:
            with Image.open(path) as img:
                engine.recognize(geometry.to_gray(img.convert("RGB")), dpi)
        per_page[name] = (time.perf_counter() - started) / len(pages)
        engine.close()
    return per_page


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", type=Path, help="keep the generated files and outputs here")
    args = ap.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    work = args.keep or Path(tempfile.mkdtemp(prefix="digitizer-bench-"))
    scans_dir, home = work / "scans", work / "home"
    if home.exists():
        shutil.rmtree(home)
    if not scans_dir.exists():
        generate(scans_dir, args.count, args.seed)
    scans = collect_inputs([scans_dir])
    pages = page_images(scans, work / "pages")
    print(f"{len(scans)} documents, {len(pages)} pages, {args.workers} workers")

    pipe_s, rows = run_pipeline(scans_dir, home, args.workers)
    raw_s, _ = raw_tesseract(pages, args.workers, "vie")
    pipe_ppm, raw_ppm = len(pages) / pipe_s * 60, len(pages) / raw_s * 60
    print("\n== speed (baseline: raw `tesseract -l vie` on the same pages, same parallelism)")
    print(f"pipeline       {pipe_ppm:7.1f} pages/min  ({pipe_s:.1f} s)")
    print(f"raw tesseract  {raw_ppm:7.1f} pages/min  ({raw_s:.1f} s)")
    print(f"ratio          {pipe_ppm / raw_ppm:7.2f}  (target >= 0.8)")
    rss = [float(r["peak_rss_mb"]) for r in rows if r["peak_rss_mb"]]  # type: ignore[arg-type]
    print(f"peak RSS/worker {max(rss, default=0):6.0f} MB  (target <= 800)")

    # ---------------------------------------------------------------- accuracy
    dist = total = 0
    rot_right = rot_total = 0
    residuals: list[float] = []
    failed = [r for r in rows if r["status"] == "failed"]
    for row in rows:
        if row["status"] not in ("registered", "needs_review"):
            continue
        truth = json.loads(Path(str(row["source"])).with_suffix(".truth.json").read_text())
        lines = [line for page in truth["pages"] for line in page["lines"]]
        d, n = cer(Path(str(row["output"])), lines)
        dist, total = dist + d, total + n
        for got, want in zip(row["pages"], truth["pages"], strict=True):  # type: ignore[call-overload]
            if not want["lines"]:
                continue  # a blank page has no orientation to get right
            rot_total += 1
            rot_right += int(got["rotation"] == want["rotation"])
            if got["rotation"] == want["rotation"]:
                residuals.append(abs(float(got["skew_deg"]) - float(want["skew_deg"])))
    print("\n== accuracy")
    print(f"CER (pdftotext of signed PDF vs truth)  {100 * dist / max(total, 1):.2f} %  (<= 2 %)")
    print(
        f"orientation                            {rot_right}/{rot_total} "
        f"= {100 * rot_right / max(rot_total, 1):.1f} %  (100 %)"
    )
    if residuals:
        print(
            f"residual skew median / p95 / max       {statistics.median(residuals):.3f} / "
            f"{sorted(residuals)[int(0.95 * (len(residuals) - 1))]:.3f} / "
            f"{max(residuals):.3f} deg  (median < 0.3)"
        )
    print(f"failed documents                       {len(failed)}")
    for r in failed:
        print(f"  {r['source']}: {r['error']}")

    # ---------------------------------------------------------------- orientation method
    truth_rot: list[int | None] = []
    for scan in scans:
        truth = json.loads(scan.with_suffix(".truth.json").read_text())
        truth_rot += [p["rotation"] if p["lines"] else None for p in truth["pages"]]
    # blank pages have no orientation to get right
    sample = [(p, t) for p, t in zip(pages, truth_rot, strict=True) if t is not None][:24]
    osd = osd_comparison([p for p, _ in sample], [t for _, t in sample], args.workers)
    print(f"\n== orientation on {len(sample)} text pages: Tesseract OSD vs ours")
    print(
        f"OSD (--psm 0, {args.workers} procs) {osd['osd_s']:6.1f} s  accuracy "
        f"{100 * osd['osd_acc']:.0f} %"
    )
    print(
        f"ours (1 process)        {osd['ours_s']:6.1f} s  accuracy {100 * osd['ours_acc']:.0f} %"
        "  (projection profiles + ascender vote, OCR probe when unsure)"
    )

    eng = engine_comparison(pages[:6])
    print("\n== OCR engine, per page, one process")
    for name, seconds in eng.items():
        print(f"{name:10s} {seconds:.2f} s")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
