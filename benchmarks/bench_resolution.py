"""Resolution-aware OCR on real scans: the pipeline's reading against raw Tesseract.

    .venv/bin/python -m benchmarks.bench_resolution [--real-dev DIR] [--pages N]

Every page of the real administrative documents in ``shared/real-dev`` (300 dpi scans) is
read twice at its own resolution and twice brought down to 100 dpi (INTER_AREA, as an
archive's or a photocopier's scan would be): once by raw Tesseract (``vie``, the engine as
it is, baseline) and once by :func:`digitizer.resolution.read_page` (enlarged first when its
text is small). No transcription comes with those files, so the reference is Tesseract's
reading of the 300 dpi page: a proxy that measures how much of the good reading survives at
low resolution (it cannot see errors both readings share). Printed: the character error
rate of each reading against the reference, the ratio pipeline / raw in the same run, the
share of pages enlarged, and seconds a page.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image
from rapidfuzz.distance import Levenshtein

from digitizer.ocr import OcrEngine, PageText, find_tessdata, open_engine
from digitizer.resolution import enlargement_for, read_page

ROOT = Path(__file__).resolve().parent.parent
REAL_DEV = ROOT.parent / "shared" / "real-dev"


def _pages(real_dev: Path, out: Path, limit: int) -> list[Path]:
    for pdf in sorted(real_dev.glob("*.pdf")):
        subprocess.run(
            ["pdftoppm", "-r", "300", "-gray", "-png", str(pdf), str(out / pdf.stem)], check=True
        )
    return sorted(out.glob("*.png"))[:limit]


def _text(page: PageText) -> str:
    return " ".join(word.text for word in page.words)


def _cer(reading: str, reference: str) -> float:
    return Levenshtein.distance(reading, reference) / max(1, len(reference))


def _timed(read: object, *args: object) -> tuple[str, float]:
    started = time.perf_counter()
    text = _text(read(*args))  # type: ignore[operator]
    return text, time.perf_counter() - started


def _measure(engine: OcrEngine, gray: NDArray[np.uint8], dpi: float, ref: str) -> list[float]:
    raw, raw_s = _timed(engine.recognize, gray, dpi)
    ours, ours_s = _timed(read_page, engine, gray, dpi)
    return [_cer(raw, ref), _cer(ours, ref), raw_s, ours_s, float(enlargement_for(gray) > 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-dev", type=Path, default=REAL_DEV)
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    engine = open_engine("tesserocr", ["vie"], find_tessdata())
    rows: dict[int, list[list[float]]] = {300: [], 100: []}
    with tempfile.TemporaryDirectory(prefix="bench-resolution-") as tmp:
        pages = _pages(args.real_dev, Path(tmp), args.pages)
        for path in pages:
            with Image.open(path) as img:
                page: NDArray[np.uint8] = np.asarray(img.convert("L"))
            reference = _text(engine.recognize(page, 300))
            low = cv2.resize(page, None, fx=1 / 3, fy=1 / 3, interpolation=cv2.INTER_AREA)
            rows[300].append(_measure(engine, page, 300, reference))
            rows[100].append(_measure(engine, np.ascontiguousarray(low, np.uint8), 100, reference))
            raw_cer, our_cer = rows[100][-1][:2]
            print(f"{path.name}: 100 dpi CER raw {raw_cer:.3f} pipeline {our_cer:.3f}")
    engine.close()
    print(f"{len(pages)} real pages; reference: raw Tesseract at 300 dpi")
    for dpi, table in rows.items():
        raw, ours, raw_s, ours_s, enlarged = np.mean(np.array(table), axis=0)
        print(
            f"{dpi:>3} dpi: CER raw {100 * raw:5.2f} %  pipeline {100 * ours:5.2f} %  "
            f"ratio {ours / raw if raw else 1.0:.2f}   s/page raw {raw_s:.2f} pipeline "
            f"{ours_s:.2f} (x{ours_s / raw_s:.2f})   pages enlarged {100 * enlarged:.0f} %"
        )


if __name__ == "__main__":
    main()
