"""A worker process killed mid-run loses nothing: its files are retried, every file registered."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANS = ROOT / "samples" / "scans"


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _pool_workers(main_pid: int) -> list[int]:
    """Processes forked by the forkserver that the main process started (its grandchildren)."""
    return [grandchild for child in _children(main_pid) for grandchild in _children(child)]


def test_sigkill_of_a_worker_loses_no_file(tmp_path: Path) -> None:
    env = dict(os.environ, DIGITIZER_HOME=str(tmp_path / "home"), OMP_THREAD_LIMIT="1")
    env.pop("DIGITIZER_DB_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "digitizer", "process", "--json", "--workers", "2", str(SCANS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        workers = _pool_workers(proc.pid)
        if len(workers) >= 2:
            time.sleep(1.5)  # let them get into the middle of a page
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.2)
    stdout, stderr = proc.communicate(timeout=600)
    assert killed is not None, "never saw the worker processes"
    assert "a worker process died" in stderr  # the kill really hit a busy pool
    rows = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    expected = {p.name for p in SCANS.iterdir() if not p.name.endswith(".json")}
    assert sorted(Path(r["source"]).name for r in rows) == sorted(expected), stderr
    assert all(r["status"] in ("registered", "needs_review") for r in rows), [
        r["error"] for r in rows
    ]
    assert proc.returncode == 0, stderr
