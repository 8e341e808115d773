"""Distributed batch with 2 workers against a local batch with 2 worker processes
(target: distributed throughput at least 0.9x the local one).

    .venv/bin/python -m benchmarks.bench_distributed [--count 40] [--seed 5150] [--keep DIR]

Everything is the installed program run as an operator runs it, on the same generated scans
(the bench preset: real pages, every format and degradation), each run in a fresh home and a
fresh database on one throw-away PostgreSQL server (``scripts/postgres.sh``):

* baseline: ``digitizer batch --workers 2 DIR`` on PostgreSQL;
* also shown: the same on the embedded SQLite store (one workstation as shipped);
* distributed: two ``digitizer worker -c 1`` processes (started and ready before the clock
  starts, as the services they are) and ``digitizer batch --distributed DIR`` timed from
  start to summary, with a throw-away Redis (``scripts/redis.sh``).

Printed: wall time and pages/min of each, and the ratio distributed / local (throughput).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, generate, start_postgres, stop_server


def _env(home: Path, db_url: str | None, broker: str | None = None) -> dict[str, str]:
    env = dict(os.environ, OMP_THREAD_LIMIT="1", DIGITIZER_HOME=str(home))
    env.pop("DIGITIZER_DB_URL", None)
    if db_url:
        env["DIGITIZER_DB_URL"] = db_url
    if broker:
        env["DIGITIZER_BROKER_URL"] = broker
    return env


def _batch(env: dict[str, str], scans: Path, *extra: str) -> tuple[float, int]:
    """Wall time and pages of one ``digitizer batch`` run."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "digitizer", "--config", str(ROOT), "batch", str(scans),
         "--profile", "default", "--json", *extra],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"batch {' '.join(extra)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    summary = json.loads(proc.stdout.splitlines()[-1])["summary"]
    done = summary["status"]["registered"] + summary["status"]["needs_review"]
    if done + summary["status"]["failed"] != summary["files"]:
        raise SystemExit(f"batch {' '.join(extra)} did not digitize every file: {summary}")
    return elapsed, int(summary["pages"])


def _start_worker(env: dict[str, str], name: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "digitizer", "--config", str(ROOT), "-v", "worker", "-c", "1",
             "--name", f"{name}@bench"],
            stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 120
    while b"ready." not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"worker {name} did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=5150)
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: temporary)")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)  # scripts/postgres.sh runs the server as 'postgres' when we are root
    scans = base / "scans"
    if not scans.exists():
        generate(scans, args.count, args.seed)
    for truth in scans.glob("*.truth.json"):
        truth.unlink()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        local_pg_s, pages = _batch(
            _env(base / "home-local-pg", start_postgres(base / "pg")), scans, "--workers", "2"
        )
        local_sqlite_s, _ = _batch(_env(base / "home-local-sqlite", None), scans, "--workers", "2")
        broker = subprocess.run(
            ["bash", str(ROOT / "scripts" / "redis.sh"), "start", str(base / "redis")],
            capture_output=True, text=True, check=True,
        ).stdout.split()[-1]  # fmt: skip
        env = _env(base / "home-distributed", start_postgres(base / "pg"), broker)
        workers = [_start_worker(env, n, base / f"{n}.log") for n in ("w1", "w2")]
        distributed_s, distributed_pages = _batch(env, scans, "--distributed")
    finally:
        for proc in workers:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=120)
        stop_server("redis.sh", base / "redis")
        stop_server("postgres.sh", base / "pg")

    def rate(seconds: float, n: int) -> float:
        return n / seconds * 60

    print(f"{args.count} files, {pages} pages (seed {args.seed}), 2 cores")
    print(
        f"batch --workers 2, PostgreSQL  {local_pg_s:7.1f} s  "
        f"{rate(local_pg_s, pages):6.1f} pages/min  (baseline)"
    )
    print(
        f"batch --workers 2, SQLite      {local_sqlite_s:7.1f} s  "
        f"{rate(local_sqlite_s, pages):6.1f} pages/min"
    )
    print(
        f"batch --distributed, 2 workers {distributed_s:7.1f} s  "
        f"{rate(distributed_s, distributed_pages):6.1f} pages/min"
    )
    ratio = rate(distributed_s, distributed_pages) / rate(local_pg_s, pages)
    print(f"throughput distributed / local: {ratio:.3f}   (target >= 0.9)")
    print(
        f"throughput distributed / local on SQLite: "
        f"{rate(distributed_s, distributed_pages) / rate(local_sqlite_s, pages):.3f}"
    )
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
