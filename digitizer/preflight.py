"""Apache PDFBox Preflight (Debian ``libpdfbox2-java``): an independent PDF/A-1b validator.

Run by ``digitizer verify --preflight`` and by the tests on every PDF/A-1b we write: a file
our own code reads back fine can still be rejected by somebody else's validator.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from digitizer.errors import MissingDependencyError

JAVA_DIR = Path("/usr/share/java")
JARS = (
    "preflight.jar",
    "pdfbox2.jar",
    "fontbox2.jar",
    "xmpbox.jar",
    "commons-logging.jar",
    "javax.activation.jar",
    "jaxb-api.jar",
)
INSTALL = (
    "apt-get install -y default-jre-headless libpdfbox2-java libjaxb-api-java libactivation-java"
)
_VALID = "is a valid PDF/A-1b file"


def validate_a1b(path: Path, timeout: float = 300) -> tuple[bool, str]:
    """(valid, Preflight's report) for ``path`` as PDF/A-1b.

    Raises :class:`MissingDependencyError` naming what to install when Java or a jar is
    missing.
    """
    java = shutil.which("java")
    missing = [jar for jar in JARS if not (JAVA_DIR / jar).is_file()]
    if java is None or missing:
        absent = ", ".join((["java"] if java is None else []) + missing)
        raise MissingDependencyError(
            f"PDFBox Preflight needs Java and its jars in {JAVA_DIR} (missing: {absent}): {INSTALL}"
        )
    classpath = ":".join(str(JAVA_DIR / jar) for jar in JARS)
    proc = subprocess.run(
        [java, "-cp", classpath, "org.apache.pdfbox.preflight.Validator_A1b", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    report = (proc.stdout + proc.stderr).strip()
    return _VALID in report, report
