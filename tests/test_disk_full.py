"""A full disk stops a run cleanly: one line, its exit code, no output without its record,
and everything left undone is done by the next run once there is room.

The home is put on a real tmpfs of a few MB (the test command runs as root, as CI does).
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import ROOT, json_lines, run_digitizer
from tests.test_concurrent_runs import small_scan

DISK_FULL_EXIT = 10


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs, unmounted at the end."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"cannot mount a tmpfs (the tests run as root): {done.stderr}"
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _config(tmp_path: Path, min_free_mb: int) -> Path:
    """The bundled configuration, the default profile asking ``min_free_mb``."""
    config = tmp_path / "config"
    for folder in ("scanner_profiles", "pipelines", "schemas"):
        shutil.copytree(ROOT / folder, config / folder)
    profile = config / "scanner_profiles" / "default.toml"
    text = profile.read_text(encoding="utf-8")
    profile.write_text(
        text.replace("min_free_mb = 200", f"min_free_mb = {min_free_mb}"), encoding="utf-8"
    )
    return config


def _scans(tmp_path: Path, count: int) -> list[Path]:
    folder = tmp_path / "scans"
    folder.mkdir()
    return [small_scan(folder / f"scan_{n:02d}.png", n) for n in range(1, count + 1)]


def _assert_every_output_recorded(home: Path) -> int:
    archive = {p for p in (home / "archive").rglob("*") if p.is_file()}
    with sqlite3.connect(home / "digitizer.db") as db:
        rows = db.execute("SELECT output_path, output_sha256 FROM documents").fetchall()
    recorded = {Path(home, path): sha for path, sha in rows}
    assert archive == set(recorded), "a signed PDF without its record (or the reverse)"
    for path, sha in recorded.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    return len(rows)


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    return lines[0]


def test_below_the_profiles_minimum_nothing_starts(small_disk: Path, tmp_path: Path) -> None:
    home = small_disk / "home"
    files = _scans(tmp_path, 3)
    done = run_digitizer(home, "process", "--json", *map(str, files))
    assert done.returncode == DISK_FULL_EXIT, done.stderr
    assert "min_free_mb" in _one_line(done.stderr)
    assert done.stdout == ""
    assert _assert_every_output_recorded(home) == 0
    assert all(f.exists() for f in files)


def test_a_disk_that_fills_midway_stops_the_run_and_loses_nothing(
    small_disk: Path, tmp_path: Path
) -> None:
    """No minimum asked: the writes themselves run out of space, in a worker and in the store."""
    home = small_disk / "home"
    config = _config(tmp_path, min_free_mb=0)
    files = _scans(tmp_path, 40)
    assert run_digitizer(home, "keys", "init", config=config).returncode == 0
    done = run_digitizer(
        home, "process", "--json", "--workers", "2", *map(str, files), config=config
    )
    assert done.returncode == DISK_FULL_EXIT, done.stdout + done.stderr
    assert "full" in _one_line(done.stderr)
    reported = json_lines(done.stdout)
    assert all(r["status"] in ("registered", "needs_review") for r in reported), reported
    assert len(reported) < len(files)
    assert _assert_every_output_recorded(home) == len(reported)
    # room again (the same file system, made larger): the next run finishes the job
    subprocess.run(["mount", "-o", "remount,size=256m", str(small_disk)], check=True)
    again = run_digitizer(home, "process", "--json", *map(str, files), config=config)
    assert again.returncode == 0, again.stderr
    statuses = [r["status"] for r in json_lines(again.stdout)]
    assert statuses.count("duplicate") == len(reported)
    assert _assert_every_output_recorded(home) == len(files)
    check = run_digitizer(home, "check", "--json", config=config)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_watcher_on_a_full_disk_stops_and_leaves_the_scans(small_disk: Path) -> None:
    from tests.test_watch import _Service

    service = _Service(small_disk)
    scan = small_scan(service.inbox / "scan_01.png", 1)
    service.start()
    assert service.proc is not None
    code = service.proc.wait(timeout=120)
    log = service.log.read_text(encoding="utf-8")
    assert code == DISK_FULL_EXIT, log
    assert "Traceback" not in log
    assert [line for line in log.splitlines() if "error" in line.lower()] == [
        next(line for line in log.splitlines() if "min_free_mb" in line)
    ]
    assert scan.exists()  # left in the hot folder for when there is room
    assert not service.filed()
