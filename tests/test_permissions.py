"""What digitizer writes is its user's alone, whatever the umask of the shell or service:
the store holds names and personal ID numbers, the archive the signed papers."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import run_digitizer
from tests.test_concurrent_runs import small_scan


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual 022 of a login shell, inherited by the program the test starts."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_nothing_made_is_readable_by_others_under_umask_022(
    tmp_path: Path, loose_umask: None
) -> None:
    home = tmp_path / "home"
    scan = small_scan(tmp_path / "scan.png", 1)
    done = run_digitizer(home, "process", "--json", str(scan))
    assert done.returncode == 0, done.stderr
    made = [home, *home.rglob("*")]
    assert any(p.suffix == ".pdf" for p in made) and (home / "digitizer.db").exists()
    # certificates are public by nature (keys.py writes them 0644, in the 0700 keys/ folder)
    loose = [p for p in made if stat.S_IMODE(p.lstat().st_mode) & 0o077 and p.suffix != ".pem"]
    assert stat.S_IMODE((home / "keys").stat().st_mode) == 0o700
    assert not loose, [(str(p), oct(stat.S_IMODE(p.lstat().st_mode))) for p in loose]
