"""``digitizer watch`` against ``digitizer process`` on the same files (target: within 10 %).

    .venv/bin/python -m benchmarks.bench_watch [--count 24] [--workers N] [--seed 5150]
        [--keep DIR]

Both are the installed program run as a user runs it, each in a fresh home, on the same
generated scans (the bench preset: real pages, every format and degradation):

* baseline: ``digitizer process --workers N DIR``;
* watch: the files are already in the hot folder when ``digitizer watch --workers N
  --idle-exit 1`` starts (settle time 1 s), so its wall time includes noticing them, the
  settle time, the whole-file check, moving the originals and the idle second at the end.

Printed: both wall times, pages/min, and the ratio watch / process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, generate

IDLE_EXIT_S = 1.0


def _digitizer(home: Path, config: Path, *args: str) -> tuple[float, str]:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    env.pop("DIGITIZER_DB_URL", None)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "digitizer", "--home", str(home), "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"digitizer {args[0]} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def _pages(stdout: str) -> int:
    rows = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return sum(len(r.get("pages", [])) for r in rows)


def _config(folder: Path, inbox: Path) -> Path:
    """The repository's pipelines and schemas, and one hot-folder profile on ``inbox``."""
    config = folder / "config"
    (config / "scanner_profiles").mkdir(parents=True)
    for name in ("pipelines", "schemas"):
        (config / name).symlink_to(ROOT / name)
    shutil.copy(ROOT / "scanner_profiles" / "default.toml", config / "scanner_profiles")
    (config / "scanner_profiles" / "bench.toml").write_text(
        'name = "bench"\npipeline = "process"\n'
        f'[hot_folder]\npaths = ["{inbox}"]\nsettle_seconds = 1\n',
        encoding="utf-8",
    )
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=5150)
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: temporary)")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-watch-"))
    scans, inbox = base / "scans", base / "inbox"
    if not scans.exists():
        generate(scans, args.count, args.seed)
    for truth in scans.glob("*.truth.json"):
        truth.unlink()
    config = _config(base, inbox)
    workers = str(args.workers)

    process_s, out = _digitizer(
        base / "home-process", config, "process", "--json", "--workers", workers, str(scans)
    )
    pages = _pages(out)
    shutil.rmtree(inbox, ignore_errors=True)
    shutil.copytree(scans, inbox)
    watch_s, out = _digitizer(
        base / "home-watch",
        config,
        "watch",
        "--profile",
        "bench",
        "--json",
        "--workers",
        workers,
        "--idle-exit",
        str(IDLE_EXIT_S),
    )
    watched = _pages(out)
    left = sorted(p.name for p in inbox.iterdir())
    print(f"{args.count} files, {pages} pages, {workers} workers (seed {args.seed})")
    print(f"process  {process_s:7.1f} s   {pages / process_s * 60:6.1f} pages/min   (baseline)")
    print(f"watch    {watch_s:7.1f} s   {watched / watch_s * 60:6.1f} pages/min")
    print(f"ratio watch / process: {watch_s / process_s:.3f}   (target <= 1.10)")
    if watched != pages or left:
        print(f"!! watch did {watched} pages, left {left} in the hot folder")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
