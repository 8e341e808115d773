"""Synthetic scans of Vietnamese one-stop-shop documents, each with its ground truth.

Usage::

    python -m samples.generate --out DIR --count N --seed S [--preset demo|bench] [--jobs J]
                               [--wordings schema|unseen]

For every document it writes one scan (``scan_0001.tif`` / ``.jpg`` / ``.png`` / ``.pdf``)
and ``scan_0001.truth.json`` beside it::

    {"doc_type": ..., "fields": {...}, "handwritten": [...] (administrative documents only),
     "labels": {...}, "placements": {...} (only with --wordings unseen),
     "format": ..., "dpi": 100|200|300,
     "colour": "colour"|"grey"|"bw", "font": ...,
     "pages": [{"lines": [...], "rotation": 0|90|180|270, "skew_deg": float,
                "qr": "..." (only on a page carrying a QR code)}, ...]}

``handwritten`` names the fields an administrative document has written by pen into printed
blanks (its ``number``, its ``issue_date`` when the day is handwritten); the truth lines read
those values like the print. Only administrative documents are scanned at 100 dpi too.

``rotation`` is how far the upright page was turned clockwise on the scanner; ``skew_deg`` is
the small rotation of the content, positive counter-clockwise (as ``PIL.Image.rotate``).
Document *i* of seed *S* depends only on (S, preset, wordings, i): the truth JSON is byte-identical
between runs and machines with the same fonts, whatever ``--count`` or ``--jobs``.

``--wordings unseen`` prints the eight known types with label wordings and placements that the
schemas do not list, in fonts schema-mode documents do not use (:mod:`samples.wordings`); the
values are the same as with the default ``schema`` for the same seed, and the truth adds
``labels`` (field -> the unseen label printed) and ``placements`` (field -> how it moved).

``bench`` (default) draws every degradation at random; ``demo`` writes a fixed, small,
varied set (every type, format, rotation and colour mode, mostly 200 dpi) meant for git.
Administrative documents were added to both after the others: they come from a stream of
their own, so every other document of a seed is what it was before (a bench document either
stays the same or becomes an administrative one; the demo set gained two at its end).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from samples.content import Ctx, Document
from samples.degrade import Degradation, compose, make_paper, rotate_quarter, sensor, skew, to_mode
from samples.doctypes import build
from samples.layout import FontBook, PageLayout, layout_page
from samples.render import render_page
from samples.wordings import WORDINGS
from samples.writers import EXTENSIONS, allowed_formats, write_scan

DOC_TYPES = (
    "birth_certificate",
    "marriage_certificate",
    "death_certificate",
    "land_use_certificate",
    "business_household_registration",
    "construction_permit",
    "application_form",
    "dossier_receipt",
    "unknown",
    "administrative_document",
)
# bench mix: kind -> weight (unknown split into its three forms)
BENCH_KINDS: tuple[tuple[str, float], ...] = (
    ("birth_certificate", 11),
    ("marriage_certificate", 9),
    ("death_certificate", 8),
    ("land_use_certificate", 16),
    ("business_household_registration", 9),
    ("construction_permit", 9),
    ("application_form", 12),
    ("dossier_receipt", 12),
    ("unknown_notice", 6),
    ("unknown_blank", 3),
    ("unknown_foreign", 5),
)
# Kinds added later, with weights on the same scale, drawn from their own stream so that the
# documents of the kinds above stay what they were for a seed.
BENCH_EXTRA_KINDS: tuple[tuple[str, float], ...] = (("administrative_document", 7),)


@dataclass(frozen=True, slots=True)
class DemoSpec:
    """A fixed scan setup for one demo document (content still comes from the seed)."""

    kind: str
    fmt: str
    colour: str
    dpi: int
    rotation: int
    skew: float
    variant: str | None = None
    archival: bool = False


DEMO: tuple[DemoSpec, ...] = (
    DemoSpec("birth_certificate", "png", "grey", 200, 0, 0.0),
    DemoSpec("marriage_certificate", "jpeg", "colour", 200, 0, 2.4),
    DemoSpec("death_certificate", "tiff-g4", "bw", 300, 180, -1.3),
    DemoSpec("land_use_certificate", "pdf", "colour", 200, 0, 0.8, variant="new"),
    DemoSpec(
        "land_use_certificate", "tiff-jpeg", "colour", 200, 0, -7.5, variant="old", archival=True
    ),
    DemoSpec("business_household_registration", "tiff-lzw", "bw", 200, 90, -3.1),
    DemoSpec("construction_permit", "jpeg", "grey", 200, 270, 4.2),
    DemoSpec("application_form", "pdf", "grey", 200, 0, -5.6),
    DemoSpec("dossier_receipt", "png", "bw", 200, 0, 0.0),
    DemoSpec("unknown_notice", "tiff-g4", "bw", 200, 0, 9.6),
    DemoSpec("unknown_foreign", "jpeg", "colour", 200, 180, -2.0),
    DemoSpec("unknown_blank", "png", "grey", 200, 0, 0.0),
    DemoSpec("administrative_document", "pdf", "colour", 100, 0, 0.6, variant="QĐ"),
    DemoSpec("administrative_document", "jpeg", "colour", 300, 0, -1.2, variant="CV"),
)


@dataclass(frozen=True, slots=True)
class ScanPlan:
    """How a document was scanned: everything in the truth plus image-only degradations."""

    fmt: str
    dpi: int
    colour: str
    quality: int
    rotations: tuple[int, ...]
    skews: tuple[float, ...]
    degradations: tuple[Degradation, ...]


def _degradation(rng: random.Random, colour: str, fmt: str, paper: str, mild: bool) -> Degradation:
    archival = paper == "archival"
    lossy_ok = colour != "bw" and fmt not in ("jpeg", "tiff-jpeg")
    # demo (mild): keep files small; noise is what makes lossless scans big
    lossless_grey = fmt in ("png", "tiff-lzw") and colour != "bw"
    noise_hi = (0.0 if lossless_grey else 3.0) if mild else 12.0
    return Degradation(
        noise_sigma=0.0 if rng.random() < 0.15 or noise_hi == 0 else rng.uniform(1.0, noise_hi),
        blur_sigma=0.0 if rng.random() < 0.3 else rng.uniform(0.3, 0.6 if mild else 1.3),
        jpeg_quality=rng.randint(25, 60) if lossy_ok and not mild and rng.random() < 0.3 else None,
        stains=rng.randint(1, 4) if archival else int(rng.random() < 0.08),
        fold=archival and rng.random() < 0.6,
        bed_dark=rng.random() < 0.25,
        ink_level=rng.randint(10, 70),
        bw_threshold_shift=rng.randint(-12, 12),
    )


def _bench_plan(rng: random.Random, doc: Document, admin: bool = False) -> ScanPlan:
    """A random scan; administrative documents also at 100 dpi, and only slightly skewed."""
    n = len(doc.pages)
    archival = any(p.paper != "white" for p in doc.pages)
    colour = rng.choices(
        ("colour", "grey", "bw"), weights=(60, 20, 20) if archival else (35, 30, 35)
    )[0]
    formats = allowed_formats(colour, n)
    weights = {
        "tiff-g4": 3.0,
        "tiff-lzw": 2.0,
        "tiff-jpeg": 2.0,
        "jpeg": 3.0,
        "png": 1.5,
        "pdf": 3.0,
    }
    fmt = rng.choices(formats, weights=[weights[f] for f in formats])[0]
    dpi = rng.choice((100, 200, 200, 300) if admin else (200, 300))
    base_rot = rng.choices((0, 90, 180, 270), weights=(75, 25 / 3, 25 / 3, 25 / 3))[0]
    lim = 3.0 if admin else 10.0
    base_skew = 0.0 if rng.random() < 0.15 else round(rng.uniform(-lim, lim), 2)
    rots, skews = [], []
    for i in range(n):
        r = base_rot if i == 0 or rng.random() < 0.85 else rng.choice((0, 90, 180, 270))
        s = base_skew if i == 0 else round(min(10.0, max(-10.0, base_skew + rng.gauss(0, 0.6))), 2)
        rots.append(r)
        skews.append(s)
    degr = tuple(_degradation(rng, colour, fmt, p.paper, mild=False) for p in doc.pages)
    return ScanPlan(fmt, dpi, colour, rng.randint(55, 92), tuple(rots), tuple(skews), degr)


def _demo_plan(rng: random.Random, doc: Document, spec: DemoSpec) -> ScanPlan:
    n = len(doc.pages)
    rots = tuple(spec.rotation for _ in range(n))
    skews = tuple(
        spec.skew if i == 0 or spec.skew == 0 else round(spec.skew + 0.3 * i, 2) for i in range(n)
    )
    degr = tuple(_degradation(rng, spec.colour, spec.fmt, p.paper, mild=True) for p in doc.pages)
    return ScanPlan(
        spec.fmt, spec.dpi, spec.colour, 70 if spec.colour == "colour" else 75, rots, skews, degr
    )


def _doc_rng(seed: int, preset: str, index: int) -> random.Random:
    """One independent, reproducible stream per document (string seeds hash stably)."""
    return random.Random(f"samples/{preset}/{seed}/{index}")


def bench_extra_kind(seed: int, preset: str, index: int) -> str | None:
    """One of :data:`BENCH_EXTRA_KINDS` for this document, or None for the original mix."""
    total = sum(w for _, w in BENCH_KINDS) + sum(w for _, w in BENCH_EXTRA_KINDS)
    u = random.Random(f"samples/{preset}/{seed}/{index}/extra").random() * total
    for kind, w in BENCH_EXTRA_KINDS:
        if u < w:
            return kind
        u -= w
    return None


def plan_document(
    seed: int, preset: str, index: int, wordings: str = "schema"
) -> tuple[Document, ScanPlan, list[PageLayout], int]:
    """Build content, choose the scan and lay out the pages; returns the numpy seed too.

    Everything the truth depends on is decided here, before any pixel is drawn. Unseen
    wordings come from a stream of their own, so the document's values do not change.
    """
    rng = _doc_rng(seed, preset, index)
    wrng = random.Random(f"samples/{preset}/{seed}/{index}/wordings")
    ctx = Ctx(rng, wrng=wrng if wordings == "unseen" else None)
    if preset == "demo":
        spec = DEMO[index % len(DEMO)]
        ctx.variant = spec.variant
        doc = build(spec.kind, ctx)
        if spec.archival:
            doc.pages = [replace(p, paper="archival") for p in doc.pages]
        plan = _demo_plan(rng, doc, spec)
    else:
        kind = bench_extra_kind(seed, preset, index)
        if kind is None:
            kinds, weights = zip(*BENCH_KINDS, strict=True)
            kind = rng.choices(kinds, weights=weights)[0]
        doc = build(kind, ctx)
        plan = _bench_plan(rng, doc, admin=kind == "administrative_document")
    fonts = FontBook(doc.style.family)
    layouts = [layout_page(p, doc.style, fonts, plan.dpi) for p in doc.pages]
    return doc, plan, layouts, rng.getrandbits(63)


def truth_of(doc: Document, plan: ScanPlan, layouts: list[PageLayout]) -> dict[str, Any]:
    """The ground-truth record (see the module docstring for the schema)."""
    pages: list[dict[str, Any]] = []
    for lay, rot, sk in zip(layouts, plan.rotations, plan.skews, strict=True):
        entry: dict[str, Any] = {"lines": list(lay.lines), "rotation": rot, "skew_deg": sk}
        if lay.qr is not None:
            entry["qr"] = lay.qr
        pages.append(entry)
    out: dict[str, Any] = {"doc_type": doc.doc_type, "fields": dict(doc.fields)}
    if doc.handwritten is not None:
        out["handwritten"] = list(doc.handwritten)
    if doc.labels is not None:
        out["labels"] = dict(doc.labels)
        out["placements"] = dict(doc.placements or {})
    out.update(
        {
            "format": plan.fmt,
            "dpi": plan.dpi,
            "colour": plan.colour,
            "font": doc.style.family,
            "pages": pages,
        }
    )
    return out


def truth_json(truth: dict[str, Any]) -> str:
    """Serialised truth: UTF-8 text (not \\u escapes), stable key order, newline at end."""
    return json.dumps(truth, ensure_ascii=False, indent=2) + "\n"


def generate_one(
    out: Path, seed: int, preset: str, index: int, wordings: str = "schema"
) -> tuple[Path, int, float]:
    """Generate document ``index``: writes the scan and its truth; returns (scan, pages, s)."""
    t0 = time.perf_counter()
    doc, plan, layouts, np_seed = plan_document(seed, preset, index, wordings)
    nprng = np.random.default_rng(np_seed)
    fonts = FontBook(doc.style.family)
    images = []
    for lay, rot, sk, deg in zip(
        layouts, plan.rotations, plan.skews, plan.degradations, strict=True
    ):
        rendered = render_page(lay, fonts, nprng, doc.seal_text)
        paper = make_paper(lay.height, lay.width, lay.paper, nprng, deg.stains, deg.fold)
        img = compose(rendered, paper, deg.ink_level)
        bed = (38, 38, 40) if deg.bed_dark else (248, 248, 246)
        img = skew(img, sk, bed)
        img = rotate_quarter(img, rot)
        img = sensor(img, deg, nprng)
        images.append(to_mode(img, plan.colour, deg.bw_threshold_shift))
    stem = f"scan_{index + 1:04d}"
    scan = out / f"{stem}{EXTENSIONS[plan.fmt]}"
    created = dt.datetime.combine(doc.date, dt.time(9, 0), tzinfo=dt.UTC)
    write_scan(images, scan, plan.fmt, plan.dpi, plan.quality, created)
    truth = truth_of(doc, plan, layouts)
    (out / f"{stem}.truth.json").write_text(truth_json(truth), encoding="utf-8")
    return scan, len(images), time.perf_counter() - t0


def _one(args: tuple[Path, int, str, int, str]) -> tuple[Path, int, float]:
    return generate_one(*args)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(
        prog="python -m samples.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument(
        "--count",
        type=int,
        default=None,
        help=f"number of documents (bench default 50; demo default {len(DEMO)})",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--preset", choices=("demo", "bench"), default="bench")
    ap.add_argument("--jobs", type=int, default=1, help="parallel worker processes")
    ap.add_argument(
        "--wordings",
        choices=WORDINGS,
        default="schema",
        help="label wordings of the known types: as the schemas list them, or unseen ones",
    )
    ns = ap.parse_args(argv)
    count = ns.count if ns.count is not None else (len(DEMO) if ns.preset == "demo" else 50)
    out: Path = ns.out
    out.mkdir(parents=True, exist_ok=True)
    tasks = [(out, ns.seed, ns.preset, i, ns.wordings) for i in range(count)]
    t0 = time.perf_counter()
    pages = 0
    if ns.jobs > 1:
        with ProcessPoolExecutor(max_workers=ns.jobs) as pool:
            results = list(pool.map(_one, tasks))
    else:
        results = [_one(t) for t in tasks]
    for scan, n, secs in results:
        pages += n
        print(f"{scan.name}: {n} page(s), {secs:.2f} s", file=sys.stderr)
    total = time.perf_counter() - t0
    print(f"wrote {count} documents, {pages} pages to {out} in {total:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
