"""`digitizer batch` end to end, as an archive team drives it: a tree, a resume, a report."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from digitizer.pipelines import load_pipeline
from digitizer.profiles import find_profile
from tests.cli import run_digitizer as _digitizer
from tests.test_cli_process import CONTRACT_KEYS

ROOT = Path(__file__).resolve().parent.parent
SCANS = ROOT / "samples" / "scans"
# small one-page samples: (committed scan, where it goes in the archive tree)
GOOD = {
    "scan_0003.tif": "1995/hồ sơ 01.tif",
    "scan_0010.tif": "1995/scan_0010.tif",
    "scan_0009.png": "1996/scan_0009.png",
}
CORRUPT = "1996/torn.tif"
COPY = "1997/copy of hồ sơ 01.tif"  # same content as 1995/hồ sơ 01.tif
IGNORED = (".thumbs/x.png", "1997/.hidden.tif", "~$lock.tif", "notes.txt")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lines(stdout: str) -> tuple[list[dict[str, object]], dict[str, object]]:
    """The per-document JSON lines and the final summary."""
    rows = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert rows and set(rows[-1]) == {"summary"}, stdout
    return rows[:-1], rows[-1]["summary"]  # type: ignore[return-value]


def _db_count(home: Path, sql: str) -> int:
    db = sqlite3.connect(home / "digitizer.db")
    try:
        return int(db.execute(sql).fetchone()[0])
    finally:
        db.close()


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive tree: three good scans, one corrupt, one copy, and files batch must skip."""
    root = tmp_path_factory.mktemp("archive")
    for sample, rel in GOOD.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SCANS / sample, root / rel)
    (root / CORRUPT).write_bytes((SCANS / "scan_0006.tif").read_bytes()[:4000])
    (root / COPY).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SCANS / "scan_0003.tif", root / COPY)
    for rel in IGNORED:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SCANS / "scan_0010.tif", root / rel)
    return root


@pytest.fixture(scope="module")
def first_run(
    tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, subprocess.CompletedProcess[str], dict[Path, str]]:
    """Chunks of two files, so the copy is met in a later chunk than its original."""
    home = tmp_path_factory.mktemp("home")
    report = tmp_path_factory.mktemp("reports") / "failures.csv"
    before = {p: _sha(p) for p in tree.rglob("*") if p.is_file()}
    proc = _digitizer(
        home,
        "batch",
        str(tree),
        "--profile",
        "archive-land",
        "--json",
        "--workers",
        "2",
        "--chunk-files",
        "2",
        "--failures-csv",
        str(report),
    )
    return home, report, proc, before


@pytest.fixture(scope="module")
def second_run(
    tree: Path, first_run: tuple[Path, Path, subprocess.CompletedProcess[str], dict[Path, str]]
) -> subprocess.CompletedProcess[str]:
    home = first_run[0]
    return _digitizer(home, "batch", str(tree), "--profile", "archive-land", "--json")


def test_first_run_processes_the_tree_and_counts_every_outcome(tree: Path, first_run) -> None:  # type: ignore[no-untyped-def]
    home, report, proc, _ = first_run
    assert proc.returncode == 1, proc.stderr  # the corrupt file failed
    rows, summary = _lines(proc.stdout)
    for row in rows:
        assert set(row) == CONTRACT_KEYS  # the same contract as `process --json`
    by_source = {str(Path(str(r["source"])).relative_to(tree)): r for r in rows}
    assert sorted(by_source) == sorted([*GOOD.values(), CORRUPT, COPY])  # nothing ignored read
    for sample, rel in GOOD.items():
        row = by_source[rel]
        assert row["status"] in ("registered", "needs_review"), row["error"]
        truth = json.loads((SCANS / sample).with_suffix(".truth.json").read_text("utf-8"))
        assert row["doc_type"] == truth["doc_type"]
    assert by_source[CORRUPT]["status"] == "failed"
    copy, original = by_source[COPY], by_source[GOOD["scan_0003.tif"]]
    assert copy["status"] == "duplicate"
    assert copy["document_id"] == original["document_id"]

    statuses = summary["status"]
    assert isinstance(statuses, dict)
    assert statuses["registered"] + statuses["needs_review"] == 3
    assert statuses["registered"] == sum(1 for r in rows if r["status"] == "registered")
    # the copy was registered by this very run (in an earlier chunk): not a resume skip
    assert (statuses["duplicate"], statuses["skipped"], statuses["failed"]) == (1, 0, 1)
    assert summary["files"] == 5
    assert summary["pages"] == 3
    assert summary["doc_types"] == {
        "death_certificate": 1,
        "dossier_receipt": 1,
        "administrative_document": 1,
    }
    assert float(summary["pages_per_min"]) > 0  # type: ignore[arg-type]
    assert summary["failures_csv"] == str(report)
    assert _db_count(home, "select count(*) from documents") == 3


def test_failures_csv_lists_the_corrupt_file_with_its_error(tree: Path, first_run) -> None:  # type: ignore[no-untyped-def]
    _, report, _, _ = first_run
    with report.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["source", "sha256", "error"]
        rows = list(reader)
    assert len(rows) == 1
    (row,) = rows
    assert row["source"] == str(tree / CORRUPT)
    assert row["sha256"] == _sha(tree / CORRUPT)
    assert re.search("corrupt|truncated", row["error"], re.IGNORECASE), row["error"]


def test_originals_are_never_touched(tree: Path, first_run, second_run) -> None:  # type: ignore[no-untyped-def]
    _, _, _, before = first_run
    after = {p: _sha(p) for p in tree.rglob("*") if p.is_file()}
    assert after == before  # nothing changed, moved, deleted or added in the tree


def test_second_run_resumes_skipping_everything_registered(first_run, second_run) -> None:  # type: ignore[no-untyped-def]
    home = first_run[0]
    proc = second_run
    assert proc.returncode == 1, proc.stderr  # the corrupt file is retried, and fails again
    rows, summary = _lines(proc.stdout)
    statuses = summary["status"]
    assert isinstance(statuses, dict)
    assert statuses == {
        "registered": 0,
        "needs_review": 0,
        "duplicate": 0,
        "skipped": 4,  # the three originals and the copy
        "failed": 1,
    }
    assert summary["pages"] == 0  # nothing OCR'd again
    assert sorted(str(r["status"]) for r in rows) == ["duplicate"] * 4 + ["failed"]
    assert _db_count(home, "select count(*) from documents") == 3
    assert _db_count(home, "select count(*) from journal where event='registered'") == 3
    assert summary["failures_csv"] is not None
    assert Path(str(summary["failures_csv"])).parent == home / "reports"


def test_readable_summary_on_stderr_and_default_failures_report(tree: Path, first_run) -> None:  # type: ignore[no-untyped-def]
    home = first_run[0]
    proc = _digitizer(home, "batch", str(tree), "--profile", "archive-land")
    assert proc.returncode == 1
    assert proc.stdout == ""  # the summary is for people: stderr
    assert re.search(r"skipped \(already registered\)\s*[│|]\s*4\s*[│|]", proc.stderr), proc.stderr
    assert re.search(r"failed\s*[│|]\s*1\s*[│|]", proc.stderr), proc.stderr
    assert "pages/min" in proc.stderr and "ETA" in proc.stderr
    match = re.search(r"^failures: (.+)$", proc.stderr, re.MULTILINE)
    assert match, proc.stderr
    report = Path(match.group(1))
    assert report.parent == home / "reports"
    assert re.fullmatch(r"batch-\d{8}-\d{6}-failures\.csv", report.name)
    assert CORRUPT.split("/")[-1] in report.read_text(encoding="utf-8-sig")


def test_no_failures_no_default_report_and_exit_0(tmp_path: Path) -> None:
    tree = tmp_path / "archive"
    tree.mkdir()
    shutil.copy2(SCANS / "scan_0010.tif", tree / "a.tif")
    home = tmp_path / "home"
    proc = _digitizer(home, "batch", str(tree), "--profile", "archive-land", "--json")
    assert proc.returncode == 0, proc.stderr
    _, summary = _lines(proc.stdout)
    assert summary["failures_csv"] is None
    assert not (home / "reports").exists() or not list((home / "reports").iterdir())


def test_a_file_instead_of_a_folder_is_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = _digitizer(home, "batch", str(SCANS / "scan_0010.tif"), "--profile", "archive-land")
    assert proc.returncode == 3, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "not a folder" in lines[0], proc.stderr
    assert proc.stdout == ""


def test_the_profile_must_be_named(tmp_path: Path) -> None:
    proc = _digitizer(tmp_path / "home", "batch", str(SCANS))
    assert proc.returncode == 2
    assert "--profile" in proc.stderr and "Traceback" not in proc.stderr


def test_archive_land_runs_the_archive_pipeline() -> None:
    profile = find_profile(ROOT / "scanner_profiles", "archive-land")
    assert profile.pipeline == "archive"
    archive = load_pipeline(ROOT / "pipelines", "archive")
    process = load_pipeline(ROOT / "pipelines", "process")
    assert archive.stages == process.stages
    assert archive.probe_uncertain_orientation  # old archives are often rotated
    assert archive.description
