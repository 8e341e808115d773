"""No signed PDF is ever left in the archive without its record: not when the store refuses
a registration, not when a run is interrupted with files in flight."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from pathlib import Path

from tests.cli import json_lines, run_digitizer, start_digitizer
from tests.test_concurrent_runs import small_scan
from tests.test_disk_full import _assert_every_output_recorded


def test_a_registration_the_store_refuses_leaves_no_pdf(tmp_path: Path) -> None:
    home = tmp_path / "home"
    scan = small_scan(tmp_path / "scan.png", 1)
    assert run_digitizer(home, "keys", "init").returncode == 0
    assert run_digitizer(home, "stats", "--json").returncode == 0  # the store, made
    with sqlite3.connect(home / "digitizer.db") as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON documents "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
    done = run_digitizer(home, "process", "--json", str(scan))
    assert done.returncode == 1
    (report,) = json_lines(done.stdout)
    assert report["status"] == "failed" and "cannot register" in str(report["error"])
    assert report["output"] is None
    assert _assert_every_output_recorded(home) == 0  # the signed PDF went with its record
    with sqlite3.connect(home / "digitizer.db") as db:
        db.execute("DROP TRIGGER refuse")
    again = run_digitizer(home, "process", "--json", str(scan))
    assert again.returncode == 0, again.stderr
    assert _assert_every_output_recorded(home) == 1


def test_a_run_interrupted_with_files_in_flight_leaves_no_pdf_without_record(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    files = [small_scan(tmp_path / f"scan_{n}.png", n) for n in range(1, 25)]
    assert run_digitizer(home, "keys", "init").returncode == 0
    args = ("process", "--json", "--workers", "2", *map(str, files))
    run = start_digitizer(home, *args, stderr=subprocess.DEVNULL)
    assert run.stdout is not None
    first = run.stdout.readline()  # one committed: the others are queued or in flight
    assert first, "the run ended before committing anything"
    run.send_signal(signal.SIGINT)
    rest, _ = run.communicate(timeout=300)
    assert run.returncode != 0
    committed = len(json_lines(first + rest))
    assert committed < len(files)
    assert _assert_every_output_recorded(home) == committed
    # the next run does the rest, each content once
    again = run_digitizer(home, "process", "--json", *map(str, files))
    assert again.returncode == 0, again.stderr
    assert _assert_every_output_recorded(home) == len(files)
