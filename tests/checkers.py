"""Run the independent checkers (PDFBox Preflight, poppler, qpdf) on files we write.

They are deliberately other people's code: a file our own code reads back fine can still
be rejected by a validator or a viewer. A missing checker raises :class:`CheckerMissing`
(an ``AssertionError``), so a test that needs it fails with the install command instead
of passing or being skipped silently.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

from digitizer import preflight
from digitizer.errors import MissingDependencyError

_APT_HINT = {
    "poppler": "apt-get install -y poppler-utils",
    "qpdf": "apt-get install -y qpdf",
}


class CheckerMissing(AssertionError):
    """An external checker is not installed."""


def _require(program: str, package: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise CheckerMissing(f"{program} not found; install it with: {_APT_HINT[package]}")
    return found


def preflight_a1b(path: Path) -> tuple[bool, str]:
    """Validate ``path`` as PDF/A-1b with Apache PDFBox Preflight; (valid, report)."""
    try:
        return preflight.validate_a1b(path, timeout=120)
    except MissingDependencyError as exc:
        raise CheckerMissing(str(exc)) from exc


def pdfsig_valid(path: Path) -> tuple[bool, str]:
    """Whether poppler's ``pdfsig`` finds at least one signature and all of them valid."""
    pdfsig = _require("pdfsig", "poppler")
    proc = subprocess.run(
        [pdfsig, str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    report = (proc.stdout + proc.stderr).strip()
    signatures = report.count("Signature #")
    valid = report.count("Signature is Valid.")
    return signatures > 0 and valid == signatures, report


def assert_signed_twice_as_pdfa_1b(once: Path, twice: Path) -> None:
    """``twice`` (``once`` signed again) carries two signatures pdfsig finds valid, and
    both files pass PDFBox Preflight as PDF/A-1b."""
    ok, report = pdfsig_valid(twice)
    assert ok, report
    assert report.count("Signature is Valid.") == 2
    for path in (once, twice):
        valid, preflight_report = preflight_a1b(path)
        assert valid, preflight_report


def pdftotext(path: Path) -> str:
    """Text of ``path`` as poppler's ``pdftotext`` extracts it (reading order, UTF-8)."""
    exe = _require("pdftotext", "poppler")
    proc = subprocess.run(
        [exe, "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return proc.stdout.decode("utf-8")


_BBOX_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def pdftotext_words(path: Path, *, page: int) -> list[tuple[float, float, float, float, str]]:
    """Words of one page with their boxes in points, top-left origin (``pdftotext -bbox``)."""
    exe = _require("pdftotext", "poppler")
    proc = subprocess.run(
        [exe, "-bbox", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return [
        (float(x0), float(y0), float(x1), float(y1), html.unescape(word))
        for x0, y0, x1, y1, word in _BBOX_WORD.findall(proc.stdout.decode("utf-8"))
    ]


def qpdf_check(path: Path) -> tuple[bool, str]:
    """``qpdf --check``: structure and stream encodings; (ok without warnings, report)."""
    exe = _require("qpdf", "qpdf")
    proc = subprocess.run(
        [exe, "--check", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def render_gray(path: Path, *, page: int, dpi: int) -> Path:
    """Render one page with poppler's ``pdftoppm`` to an 8-bit grey PGM; return its path."""
    exe = _require("pdftoppm", "poppler")
    prefix = path.with_name(f"{path.stem}-render-{page}")
    subprocess.run(
        [
            exe,
            "-gray",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(path),
            str(prefix),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return prefix.with_suffix(".pgm")
