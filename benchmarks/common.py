"""What the benchmarks share: generating a set with ground truth, running the real pipeline."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from digitizer.config import Layout
from digitizer.profiles import find_profile
from digitizer.runner import Run, collect_inputs, prepare
from digitizer.store import Store, default_url

ROOT = Path(__file__).resolve().parent.parent


def generate(out: Path, count: int, seed: int, wordings: str = "schema") -> None:
    """``count`` documents of the generator's bench preset, with ``*.truth.json`` beside;
    ``wordings="unseen"`` prints labels no schema lists (``samples.generate --wordings``)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "samples.generate",
            "--preset",
            "bench",
            "--out",
            str(out),
            "--count",
            str(count),
            "--seed",
            str(seed),
            "--jobs",
            "2",
            "--wordings",
            wordings,
        ],
        check=True,
        cwd=ROOT,
    )


def run_pipeline(
    scans_dir: Path, home: Path, workers: int
) -> tuple[float, list[dict[str, object]]]:
    """The real pipeline (default profile) over a folder: wall time and one row per file."""
    layout = Layout(home=home, config_root=ROOT)
    plan = prepare(layout, find_profile(layout.profiles_dir, "default"))
    store = Store(default_url(home))
    files = collect_inputs([scans_dir])
    started = time.perf_counter()
    results = list(Run(plan, store, workers).results(files))
    elapsed = time.perf_counter() - started
    store.close()
    rows = []
    for r in results:
        row = r.to_json()
        row["peak_rss_mb"] = r.peak_rss_mb
        rows.append(row)
    return elapsed, rows


def start_postgres(folder: Path) -> str:
    """Start (or reuse) the throw-away server of ``scripts/postgres.sh`` in ``folder`` and
    return the URL of a new empty database on it."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres.sh"), "start", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    server = make_url(done.stdout.strip().splitlines()[-1])
    name = f"bench_{uuid.uuid4().hex[:8]}"
    plain = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.set(database=name).render_as_string(hide_password=False)


def stop_server(script: str, folder: Path) -> None:
    """Stop a server of ``scripts/<script>`` (postgres.sh, redis.sh) started in ``folder``."""
    subprocess.run(["bash", str(ROOT / "scripts" / script), "stop", str(folder)], check=False)
