"""Running the installed program as a user or a script runs it: one helper for every test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_digitizer(
    home: Path,
    *args: str,
    config: Path = ROOT,
    env_extra: dict[str, str] | None = None,
    db_url: str | None = None,
    timeout: float = 600,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m digitizer --config CONFIG ARGS`` with its own home (and store, unless
    ``db_url`` names one), one OCR thread per process, output captured."""
    env = dict(os.environ, DIGITIZER_HOME=str(home), OMP_THREAD_LIMIT="1", **(env_extra or {}))
    env.pop("DIGITIZER_DB_URL", None)
    if db_url is not None:
        env["DIGITIZER_DB_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "digitizer", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=cwd,
        stdin=subprocess.DEVNULL,  # nothing may wait for a person at a prompt
    )


def start_digitizer(home: Path, *args: str, stderr: int = subprocess.PIPE) -> subprocess.Popen[str]:
    """The program started in the background (its own home, the bundled configuration,
    stdout piped): for tests that act on it while it runs."""
    env = dict(os.environ, DIGITIZER_HOME=str(home), OMP_THREAD_LIMIT="1")
    env.pop("DIGITIZER_DB_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "digitizer", "--config", str(ROOT), *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def json_lines(stdout: str) -> list[dict[str, object]]:
    """One JSON object per non-empty line (``--json`` output of per-document commands)."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]
