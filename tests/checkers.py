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

JAVA_DIR = Path("/usr/share/java")
PREFLIGHT_JARS = (
    "preflight.jar",
    "pdfbox2.jar",
    "fontbox2.jar",
    "xmpbox.jar",
    "commons-logging.jar",
    "javax.activation.jar",
    "jaxb-api.jar",
)
_APT_HINT = {
    "java": "apt-get install -y default-jre-headless",
    "preflight": "apt-get install -y libpdfbox2-java libjaxb-api-java libactivation-java",
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


def _preflight_classpath() -> str:
    missing = [jar for jar in PREFLIGHT_JARS if not (JAVA_DIR / jar).is_file()]
    if missing:
        raise CheckerMissing(
            f"PDFBox Preflight jars missing from {JAVA_DIR}: {', '.join(missing)}; "
            f"install them with: {_APT_HINT['preflight']}"
        )
    return ":".join(str(JAVA_DIR / jar) for jar in PREFLIGHT_JARS)


def preflight_a1b(path: Path) -> tuple[bool, str]:
    """Validate ``path`` as PDF/A-1b with Apache PDFBox Preflight; (valid, report)."""
    java = _require("java", "java")
    proc = subprocess.run(
        [
            java,
            "-cp",
            _preflight_classpath(),
            "org.apache.pdfbox.preflight.Validator_A1b",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = (proc.stdout + proc.stderr).strip()
    return "is a valid PDF/A-1b file" in report, report


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
