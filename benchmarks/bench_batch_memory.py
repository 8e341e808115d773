"""Memory of ``digitizer batch`` over many files: the parent process must stay flat.

    .venv/bin/python -m benchmarks.bench_batch_memory [--small 200] [--large 2000]
        [--workers N] [--keep DIR]

Archive teams run one batch over tens of thousands of files, so nothing in the batch may
grow with the number of files. This generates tiny distinct scans (one page, three lines of
Vietnamese text rendered with PIL and a unique record number, so every SHA-256 differs and
the OCR is quick), then runs the real command, ``digitizer batch DIR --profile archive-land
--json``, over ``--small`` files and over ``--large`` files, each in a fresh home, and prints:

* the peak RSS of the batch (parent) process after the small and after the large run, and
  their ratio (target: within 10 %);
* its RSS sampled along the large run, every tenth of the files (it should not climb);
* the workers' peak RSS and the pages/min of both runs.

The peaks come from the summary line the command prints (its own ``getrusage``); the samples
from ``/proc/<pid>/status`` while it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from samples.layout import find_font_file

ROOT = Path(__file__).resolve().parent.parent
PROFILE = "archive-land"


@dataclass(frozen=True, slots=True)
class BatchMeasure:
    """What one batch run cost, from its summary line and the samples taken along it."""

    files: int
    parent_peak_mb: float
    worker_peak_mb: float
    pages_per_min: float
    seconds: float
    status: dict[str, int]
    rss_samples_mb: list[tuple[int, float]]

    @classmethod
    def from_summary(
        cls, files: int, summary: dict[str, Any], samples: list[tuple[int, float]]
    ) -> BatchMeasure:
        return cls(
            files=files,
            parent_peak_mb=float(summary["peak_rss_mb"]["batch"]),
            worker_peak_mb=float(summary["peak_rss_mb"]["worker"]),
            pages_per_min=float(summary["pages_per_min"]),
            seconds=float(summary["seconds"]),
            status={k: int(v) for k, v in summary["status"].items() if v},
            rss_samples_mb=samples,
        )


def generate(out: Path, count: int, first_number: int) -> None:
    """``count`` small single-page records, numbered from ``first_number`` (all distinct)."""
    if out.exists():
        if sum(1 for _ in out.rglob("*.png")) == count:
            return  # kept from an earlier run (--keep)
        shutil.rmtree(out)
    out.mkdir(parents=True)
    font = ImageFont.truetype(str(find_font_file("DejaVuSerif.ttf")), 28)
    for i in range(first_number, first_number + count):
        lines = (
            f"SỔ ĐĂNG KÝ ĐẤT ĐAI số {i:07d}",
            f"Thửa đất số {i % 997}, tờ bản đồ số {i % 53}",
            f"Ngày {1 + i % 28} tháng {1 + i % 12} năm {1990 + i % 30}",
        )
        page = Image.new("L", (900, 240), 255)
        draw = ImageDraw.Draw(page)
        for n, text in enumerate(lines):
            draw.text((30, 30 + 60 * n), text, font=font, fill=0)
        # one folder per thousand, as an archive is laid out by year or register
        folder = out / f"{i // 1000:04d}"
        folder.mkdir(exist_ok=True)
        page.save(folder / f"record_{i:07d}.png", dpi=(300, 300))


def _vm_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def run_batch(scans: Path, home: Path, files: int, workers: int) -> BatchMeasure:
    """The real command over ``scans``, sampling the parent's RSS every tenth of the files.

    Its stderr (progress bar, summary tables) goes to ``batch.log`` beside ``home``.
    """
    if home.exists():
        shutil.rmtree(home)
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    env.pop("DIGITIZER_DB_URL", None)
    cmd = [sys.executable, "-m", "digitizer", "--home", str(home), "--config", str(ROOT)]
    cmd += ["batch", str(scans), "--profile", PROFILE, "--json", "--workers", str(workers)]
    step = max(1, files // 10)
    samples: list[tuple[int, float]] = []
    summary: dict[str, Any] | None = None
    log = home.with_name(f"{home.name}-batch.log")
    with (
        log.open("w", encoding="utf-8") as stderr,
        subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, cwd=ROOT
        ) as proc,
    ):
        assert proc.stdout is not None
        done = 0
        for line in proc.stdout:
            row = json.loads(line)
            if "summary" in row:
                summary = row["summary"]
                continue
            done += 1
            if done % step == 0:
                rss = _vm_rss_mb(proc.pid)
                if rss is not None:
                    samples.append((done, rss))
    if proc.returncode not in (0, 1) or summary is None:
        tail = log.read_text(encoding="utf-8").strip().splitlines()[-5:]
        raise SystemExit(
            f"batch over {scans} exited {proc.returncode} without a summary:\n" + "\n".join(tail)
        )
    return BatchMeasure.from_summary(files, summary, samples)


def report(small: BatchMeasure, large: BatchMeasure) -> None:
    ratio = large.parent_peak_mb / small.parent_peak_mb
    print("\n== batch (parent) process memory")
    print(f"peak RSS after {small.files:5d} files  {small.parent_peak_mb:7.1f} MB")
    print(f"peak RSS after {large.files:5d} files  {large.parent_peak_mb:7.1f} MB")
    verdict = "met" if ratio <= 1.10 else "NOT met"
    print(f"ratio                      {ratio:7.3f}  (target <= 1.10: {verdict})")
    print(f"\nRSS along the {large.files}-file run (files done: MB)")
    print("  " + ", ".join(f"{n}: {mb:.1f}" for n, mb in large.rss_samples_mb))
    print("\n== workers and speed")
    for m in (small, large):
        print(
            f"{m.files:5d} files: worker peak RSS {m.worker_peak_mb:6.1f} MB, "
            f"{m.pages_per_min:6.1f} pages/min, {m.seconds:.0f} s, {m.status}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--small", type=int, default=200, help="files in the first run")
    ap.add_argument("--large", type=int, default=2000, help="files in the second run")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", type=Path, help="keep the generated files and homes here")
    args = ap.parse_args()
    if not 0 < args.small < args.large:
        ap.error("--small must be at least 1 and below --large")
    work = args.keep or Path(tempfile.mkdtemp(prefix="digitizer-bench-batch-"))
    try:
        measures = []
        for name, count, first in (("small", args.small, 0), ("large", args.large, 10**6)):
            scans = work / f"scans-{name}"
            generate(scans, count, first)
            print(f"{name}: {count} files, {args.workers} workers ...", flush=True)
            measures.append(run_batch(scans, work / f"home-{name}", count, args.workers))
        report(*measures)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
