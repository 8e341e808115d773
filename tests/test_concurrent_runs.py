"""Two runs on one home at once (an operator's ``process`` beside ``watch``, two terminals):
each content is digitized by one of them, the other reports it a duplicate, and no signed
PDF that a record names is ever written over."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.cli import json_lines, run_digitizer, start_digitizer

_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def small_scan(path: Path, number: int) -> Path:
    """A small one-page scan of its own content (a few printed lines)."""
    page = Image.new("L", (1000, 420), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(_FONT), 34)
    for row, line in enumerate(
        (f"GIẤY BIÊN NHẬN SỐ {number:04d}", "Ủy ban nhân dân xã Hòa Bình", f"Hồ sơ {number * 7}")
    ):
        draw.text((40, 40 + row * 110), line, fill=0, font=font)
    page.save(path, dpi=(150, 150))
    return path


def _start(home: Path, files: list[Path]) -> subprocess.Popen[str]:
    return start_digitizer(home, "process", "--json", "--workers", "1", *map(str, files))


def _records(home: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(home / "digitizer.db") as db:
        rows = db.execute("SELECT sha256, output_path, output_sha256 FROM documents").fetchall()
    return {sha: (path, out_sha) for sha, path, out_sha in rows}


@pytest.mark.parametrize("second_starts", ["same_files", "overlapping"])
def test_two_runs_at_once_never_overwrite_a_registered_pdf(
    tmp_path: Path, second_starts: str
) -> None:
    home = tmp_path / "home"
    files = [small_scan(tmp_path / f"scan_{n}.png", n) for n in range(1, 7)]
    # keys and store made once, so that both runs start on an equal footing
    assert run_digitizer(home, "keys", "init").returncode == 0
    second = (
        files
        if second_starts == "same_files"
        else files[3:] + [small_scan(tmp_path / f"scan_{n}.png", n) for n in range(7, 10)]
    )
    runs = [_start(home, files), _start(home, second)]
    outputs = [run.communicate(timeout=600) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    reports = [r for out, _ in outputs for r in json_lines(out)]
    assert all(r["status"] != "failed" for r in reports), reports
    everything = {hashlib.sha256(p.read_bytes()).hexdigest() for p in files + second}
    made = [r["sha256"] for r in reports if r["status"] in ("registered", "needs_review")]
    assert sorted(made) == sorted(everything)  # each content digitized exactly once
    records = _records(home)
    assert set(records) == everything
    for path, out_sha in records.values():
        assert hashlib.sha256(Path(home, path).read_bytes()).hexdigest() == out_sha
    assert not any((home / "work" / "claims").iterdir())  # claims let go of and removed
    check = run_digitizer(home, "check", "--json")
    assert check.returncode == 0, check.stdout + check.stderr
