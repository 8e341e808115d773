"""Handwritten numbers and days in printed blanks: Tesseract against asterocr and variants.

    .venv/bin/python -m benchmarks.bench_handwriting [--real-dev DIR] [--crops DIR]

Page 1 of each real administrative document in ``shared/real-dev`` (300 dpi scans) is read
as the pipeline reads it (Tesseract ``vie`` through tesserocr); the line holding "Số:" and the
line holding "ngày … tháng … năm" are found among its words (Tesseract usually gives both
header columns as one line), and :func:`digitizer.handwriting.locate_blank` finds the number's
and the day's blank in it. Each method then reads the value, checked by
:func:`digitizer.handwriting.parse_value`; the month (printed on these pages) is a control for
the handwriting test. ``TRUTH`` was made by looking at the crops (``--crops`` saves them).

Printed: each method's reading per file, its accuracy per field, ms per line, how often two
methods read the same value and it is wrong (what would make an accepted value wrong), and
the outcome of :func:`digitizer.handwriting.read_blanks` (the product's rule).
"""

from __future__ import annotations

import argparse
import itertools
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from digitizer.handwriting import (
    Box,
    FieldKind,
    line_crop,
    locate_blank,
    parse_value,
    read_blanks,
)
from digitizer.ingest import IngestLimits, iter_pages
from digitizer.line_reader import (
    AsterLineReader,
    LineReading,
    TesseractLineReader,
    aster_version,
    ink_mask,
    sub,
)
from digitizer.ocr import find_tessdata, open_engine
from digitizer.records import OcrWord

ROOT = Path(__file__).resolve().parent.parent
REAL_DEV = ROOT.parent / "shared" / "real-dev"
DIGITS = "0123456789"

#: (number, day, month) as written on page 1, read off the crops by eye. All numbers and days
#: are handwritten except tb_vht534 (born digital: typed); every month is printed.
TRUTH: dict[str, tuple[str, str, str]] = {
    "bc280": ("280", "22", "11"),
    "ct08_2770": ("08", "03", "04"),
    "cv574": ("574", "04", "02"),
    "qd138_04": ("04", "05", "02"),
    "qd47": ("47", "17", "01"),
    "qd84": ("84", "03", "02"),
    "qd87ct": ("87", "16", "01"),
    "qd88": ("88", "05", "02"),
    "qd90": ("90", "16", "01"),
    "tb53": ("53", "07", "02"),
    "tb_vht534": ("565", "15", "11"),
    "ttr22": ("22", "05", "02"),
    "ttr239": ("239", "20", "12"),
    "ttr24": ("24", "07", "02"),
}
TYPED = {"tb_vht534"}
FIELDS: tuple[FieldKind, ...] = ("number", "day", "month")

Reader = Callable[[NDArray[np.uint8]], LineReading]


def _binary(crop: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Ink only (Otsu on the darkest channel), black on white: what a colour mask keeps."""
    return np.where(ink_mask(crop), 0, 255).astype(np.uint8)


def methods() -> dict[str, Reader]:
    """Readers of a value crop; the asterocr ones are one model, the Tesseract ones another."""
    aster = AsterLineReader()
    eng = TesseractLineReader("eng", digits=True)
    eng2 = TesseractLineReader("eng", digits=True, upscale=2.0)
    vie_digits = TesseractLineReader("vie", digits=True)
    vie = TesseractLineReader("vie")
    return {
        "aster": aster.read,
        "aster-digits": lambda c: aster.read(c, allowed=DIGITS),
        "aster-digits-ink": lambda c: aster.read(_binary(c), allowed=DIGITS),
        "tess-vie": vie.read,
        "tess-vie-digits": vie_digits.read,
        "tess-eng-digits": eng.read,
        "tess-eng-digits-x2": eng2.read,
        "tess-eng-digits-ink": lambda c: eng.read(_binary(c)),
    }


def find_line(words: list[OcrWord], pattern: str, below: int) -> Box | None:
    """The box of the first line starting above row ``below`` whose text matches ``pattern``."""
    lines: dict[tuple[int, int], list[OcrWord]] = defaultdict(list)
    for w in words:
        lines[(w.block, w.line)].append(w)
    for ws in sorted(lines.values(), key=lambda ws: min(w.top for w in ws)):
        text = " ".join(w.text for w in ws).lower()
        if re.search(pattern, text) and min(w.top for w in ws) < below:
            x0, y0 = min(w.left for w in ws), min(w.top for w in ws)
            x1 = max(w.left + w.width for w in ws)
            y1 = max(w.top + w.height for w in ws)
            return x0, y0, x1 - x0, y1 - y0
    return None


def line_text(words: list[OcrWord], box: Box) -> str:
    """What the page's Tesseract reading holds inside ``box`` (today's pipeline value)."""
    inside = [w for w in words if box[1] <= w.top + w.height / 2 <= box[1] + box[3]]
    return " ".join(w.text for w in sorted(inside, key=lambda w: w.left))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-dev", type=Path, default=REAL_DEV)
    parser.add_argument("--crops", type=Path, help="save each value crop there as PNG")
    args = parser.parse_args()
    print(aster_version())
    engine = open_engine("tesserocr", ["vie"], find_tessdata())
    readers = methods()
    aster_line = AsterLineReader()
    started = time.perf_counter()
    readers["aster"](np.full((40, 80, 3), 255, np.uint8))  # loads the model: not timed below
    print(f"asterocr model load: {(time.perf_counter() - started) * 1000:.0f} ms")

    names = ["tess-page", "aster-line", *readers]
    values: dict[tuple[str, str, FieldKind], str | None] = {}
    ms: dict[str, list[float]] = defaultdict(list)
    outcome: list[tuple[str, FieldKind, bool, str | None, bool]] = []
    for name, truth in TRUTH.items():
        pdf = args.real_dev / f"{name}.pdf"
        page = next(iter_pages(pdf, IngestLimits()))
        rgb = np.asarray(page.image.convert("RGB"))
        words = engine.recognize(np.asarray(page.image.convert("L")), page.dpi).words
        top = rgb.shape[0] // 3
        box = find_line(words, r"s[oóốồ]\s*:", top) or find_line(words, r"ng[aà]y", top)
        if box is None:
            print(f"{name}: no 'Số:' line found")
            continue
        line, _, core = line_crop(rgb, box)
        for field, expected in zip(FIELDS, truth, strict=True):
            t = time.perf_counter()
            blank = locate_blank(line, field, core)
            ms["locate"].append((time.perf_counter() - t) * 1000)
            crop = sub(line, blank.value)
            if args.crops:
                args.crops.mkdir(parents=True, exist_ok=True)
                Image.fromarray(crop).save(args.crops / f"{name}_{field}.png")
            page_value = parse_value(line_text(words, box), field, context=True)
            values[(name, "tess-page", field)] = page_value
            t = time.perf_counter()
            reading = aster_line.read(sub(line, blank.context))
            ms["aster-line"].append((time.perf_counter() - t) * 1000)
            values[(name, "aster-line", field)] = parse_value(reading.text, field, context=True)
            row = [f"{name:10} {field:6} {expected:>4}"]
            for method, read in readers.items():
                t = time.perf_counter()
                reading = read(crop)
                ms[method].append((time.perf_counter() - t) * 1000)
                value = parse_value(reading.text, field)
                values[(name, method, field)] = value
                mark = "=" if value == expected else ("x" if value else "·")
                row.append(f"{method}:{reading.text[:8]!r}{mark}")
            print("  ".join(row))
        t = time.perf_counter()
        product = read_blanks(rgb, box, FIELDS)
        ms["read_blanks (3 fields)"].append((time.perf_counter() - t) * 1000)
        for field in FIELDS:
            r = product[field]
            outcome.append((name, field, r.agreed, r.value, r.handwritten))
            print(
                f"    product {field:6} agreed={r.agreed!s:5} value={r.value} "
                f"handwritten={r.handwritten!s:5} ({r.ink.note})"
            )
    engine.close()
    report(names, values, ms, outcome)


def report(
    names: list[str],
    values: dict[tuple[str, str, FieldKind], str | None],
    ms: dict[str, list[float]],
    outcome: list[tuple[str, FieldKind, bool, str | None, bool]],
) -> None:
    """Accuracy per method and field, time per line, agree-and-wrong pairs, the product."""
    truth = {(n, f): v for n, t in TRUTH.items() for f, v in zip(FIELDS, t, strict=True)}
    print("\naccuracy (right / wrong value / no valid value) per field, ms per line")
    for method in names:
        cells = []
        for field in FIELDS:
            got = [(values.get((n, method, field)), truth[(n, field)]) for n in TRUTH]
            right = sum(v == t for v, t in got)
            wrong = sum(v is not None and v != t for v, t in got)
            cells.append(f"{field} {right:2}/{len(got)} wrong {wrong}")
        timing = f"{np.mean(ms[method]):6.1f} ms" if ms.get(method) else "   (page OCR)"
        print(f"  {method:20} {' | '.join(cells)} | {timing}")
    print(f"  locating a blank (Tesseract on the line): {np.mean(ms['locate']):.1f} ms")
    print(f"  read_blanks, 3 fields of one line: {np.mean(ms['read_blanks (3 fields)']):.1f} ms")

    print("\npairs (number + day, 28 blanks): both read the same valid value: right / WRONG")
    handwritten: tuple[FieldKind, ...] = ("number", "day")
    keys = [(n, f) for n in TRUTH for f in handwritten]
    for a, b in itertools.combinations(names, 2):
        same = [k for k in keys if values.get((k[0], a, k[1])) is not None]
        same = [k for k in same if values.get((k[0], a, k[1])) == values.get((k[0], b, k[1]))]
        wrong = sum(values[(k[0], a, k[1])] != truth[k] for k in same)
        if same:
            print(f"  {a:20} + {b:20} {len(same) - wrong:2} / {wrong}")

    print("\nproduct (read_blanks: asterocr digits + Tesseract eng digits must agree)")
    for field in FIELDS:
        rows = [o for o in outcome if o[1] == field]
        accepted = [o for o in rows if o[2]]
        wrong = sum(o[3] != truth[(o[0], field)] for o in accepted)
        hand = sum(o[4] for o in rows if o[0] not in TYPED and field != "month")
        printed = sum(not o[4] for o in rows if o[0] in TYPED or field == "month")
        n_hand = sum(1 for o in rows if o[0] not in TYPED and field != "month")
        print(
            f"  {field:6} accepted {len(accepted):2}/{len(rows)}, wrong {wrong}; to a clerk "
            f"{len(rows) - len(accepted)}; handwriting test: {hand}/{n_hand} handwritten "
            f"found, {printed}/{len(rows) - n_hand} printed found"
        )


if __name__ == "__main__":
    main()
