"""`digitizer process` end to end, driven as a user (or a script) drives it."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pikepdf
import pytest

from tests.checkers import pdfsig_valid, pdftotext, preflight_a1b
from tests.cli import json_lines as _json_lines
from tests.cli import run_digitizer as _digitizer

ROOT = Path(__file__).resolve().parent.parent
SCANS = ROOT / "samples" / "scans"
CONTRACT_KEYS = {
    "document_id",
    "source",
    "sha256",
    "status",
    "error",
    "doc_type",
    "doc_type_confidence",
    "fields",
    "pages",
    "blank_pages_dropped",
    "dossier_code",
    "reuse_of",
    "output",
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sample(kind: str) -> Path:
    """A committed sample scan whose file name contains ``kind`` (e.g. 'tif', 'pdf')."""
    matches = sorted(
        p for p in SCANS.iterdir() if not p.name.endswith(".json") and kind in p.name.lower()
    )
    assert matches, f"no committed sample matching {kind!r} in {SCANS}"
    return matches[0]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two good scans and every kind of bad input, in one folder."""
    folder = tmp_path_factory.mktemp("in")
    good = {"good_tif": _sample(".tif"), "good_pdf": _sample(".pdf")}
    files = {name: Path(shutil.copy2(src, folder / src.name)) for name, src in good.items()}
    (folder / "empty.png").touch()
    files["empty"] = folder / "empty.png"
    (folder / "letter.jpg").write_text("not an image\n", encoding="utf-8")
    files["not_image"] = folder / "letter.jpg"
    data = files["good_pdf"].read_bytes()
    (folder / "truncated.tif").write_bytes(files["good_tif"].read_bytes()[:4000])
    files["truncated"] = folder / "truncated.tif"
    with pikepdf.open(files["good_pdf"]) as pdf:
        pdf.save(folder / "locked.pdf", encryption=pikepdf.Encryption(user="1234", owner="x"))
    files["encrypted"] = folder / "locked.pdf"
    assert data  # the originals are compared after the run
    return files


@pytest.fixture(scope="module")
def first_run(
    inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str], dict[str, str]]:
    home = tmp_path_factory.mktemp("home")
    before = {name: _sha(path) for name, path in inputs.items()}
    proc = _digitizer(
        home, "process", "--json", "--workers", "2", *[str(p) for p in inputs.values()]
    )
    return home, proc, before


def _by_source(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    return {Path(str(r["source"])).name: r for r in _json_lines(proc.stdout)}


def test_json_contract_one_line_per_document(inputs: dict[str, Path], first_run) -> None:  # type: ignore[no-untyped-def]
    _, proc, _ = first_run
    rows = _json_lines(proc.stdout)
    assert len(rows) == len(inputs), proc.stderr
    for row in rows:
        assert set(row) == CONTRACT_KEYS
    assert proc.returncode == 1  # some documents failed


def test_good_scans_are_registered_signed_and_searchable(
    inputs: dict[str, Path], first_run
) -> None:  # type: ignore[no-untyped-def]
    home, proc, _ = first_run
    rows = _by_source(proc)
    for name in ("good_tif", "good_pdf"):
        row = rows[inputs[name].name]
        assert row["status"] in ("registered", "needs_review"), row["error"]
        out = Path(str(row["output"]))
        assert out.is_file() and out.is_relative_to(home)
        ok, report = pdfsig_valid(out)
        assert ok, report
        truth = json.loads(
            (SCANS / inputs[name].name).with_suffix(".truth.json").read_text(encoding="utf-8")
        )
        assert row["doc_type"] == truth["doc_type"]
        fields = row["fields"]
        assert isinstance(fields, dict)
        # what is marked ok must be right: a wrong ok value is the costliest error
        for field_name, got in fields.items():
            if got["status"] == "ok":
                assert str(got["value"]) == str(truth["fields"][field_name]), field_name
        if any(f["status"] == "needs_review" for f in fields.values()) or (
            set(truth["fields"]) - set(fields)
        ):
            assert row["status"] == "needs_review"
        words = [w for page in truth["pages"] for line in page["lines"] for w in line.split()]
        text = pdftotext(out)
        found = sum(1 for w in words if w in text)
        assert found >= 0.8 * len(words), f"only {found}/{len(words)} words searchable"
        assert len(row["pages"]) == len(truth["pages"])  # type: ignore[arg-type]
        for got, want in zip(row["pages"], truth["pages"], strict=True):  # type: ignore[call-overload]
            if want["lines"]:
                assert got["rotation"] == want["rotation"]
                assert abs(got["skew_deg"] - want["skew_deg"]) < 0.3


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty", "empty file"),
        ("not_image", "not a scan"),
        ("truncated", "corrupt|truncated"),
        ("encrypted", "password"),
    ],
)
def test_bad_inputs_fail_with_one_line(
    inputs: dict[str, Path],
    first_run,
    name: str,  # type: ignore[no-untyped-def]
    reason: str,
) -> None:
    import re

    _, proc, _ = first_run
    row = _by_source(proc)[inputs[name].name]
    assert row["status"] == "failed"
    assert re.search(reason, str(row["error"]), re.IGNORECASE), row["error"]
    assert "\n" not in str(row["error"])
    assert row["output"] is None


def test_originals_are_never_touched(inputs: dict[str, Path], first_run) -> None:  # type: ignore[no-untyped-def]
    _, _, before = first_run
    for name, path in inputs.items():
        assert path.exists(), f"{name} was moved or deleted"
        assert _sha(path) == before[name], f"{name} was changed"


def test_store_keeps_pages_words_and_journal(inputs: dict[str, Path], first_run) -> None:  # type: ignore[no-untyped-def]
    home, _, _ = first_run
    db = sqlite3.connect(home / "digitizer.db")
    try:
        (docs,) = db.execute("select count(*) from documents").fetchone()
        (pages,) = db.execute("select count(*) from pages").fetchone()
        (words,) = db.execute("select count(*) from ocr_words").fetchone()
        failed = db.execute("select count(*) from journal where event='failed'").fetchone()[0]
    finally:
        db.close()
    assert docs == 2
    assert pages >= 2
    assert words > 100
    assert failed == 4


def test_second_run_reports_duplicates_and_registers_nothing(
    inputs: dict[str, Path], first_run
) -> None:  # type: ignore[no-untyped-def]
    home, _, _ = first_run
    proc = _digitizer(home, "process", "--json", str(inputs["good_tif"]), str(inputs["good_pdf"]))
    rows = _json_lines(proc.stdout)
    assert [r["status"] for r in rows] == ["duplicate", "duplicate"]
    assert proc.returncode == 0
    db = sqlite3.connect(home / "digitizer.db")
    try:
        assert db.execute("select count(*) from documents").fetchone()[0] == 2
    finally:
        db.close()


# ------------------------------------------------------------------ configuration errors


def _config_with(tmp_path: Path, profile_text: str) -> Path:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "pipelines", config / "pipelines")
    (config / "scanner_profiles").mkdir(parents=True)
    (config / "scanner_profiles" / "office.toml").write_text(profile_text, encoding="utf-8")
    return config


def _assert_refused_before_touching(
    home: Path, proc: subprocess.CompletedProcess[str], code: int, message: str
) -> None:
    assert proc.returncode == code, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert message in lines[0].lower()
    assert proc.stdout == ""
    assert not list((home / "archive").rglob("*.pdf")) if (home / "archive").exists() else True


def test_missing_certificate_is_one_line_before_any_file(tmp_path: Path) -> None:
    config = _config_with(
        tmp_path, 'name = "office"\n[signing]\npkcs12 = "/nonexistent/office.p12"\n'
    )
    home = tmp_path / "home"
    proc = _digitizer(home, "process", "--profile", "office", str(_sample(".tif")), config=config)
    _assert_refused_before_touching(home, proc, 5, "certificate")


def test_wrong_certificate_password_is_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _digitizer(home, "keys", "init").returncode == 0
    config = _config_with(
        tmp_path,
        'name = "office"\n[signing]\n'
        f'pkcs12 = "{home / "keys" / "demo-signer.p12"}"\npassword_env = "OFFICE_PW"\n',
    )
    proc = _digitizer(
        home,
        "process",
        "--profile",
        "office",
        str(_sample(".tif")),
        config=config,
        env_extra={"OFFICE_PW": "definitely-wrong"},
    )
    _assert_refused_before_touching(home, proc, 5, "password")


def test_missing_tesseract_language_is_one_line(tmp_path: Path) -> None:
    config = _config_with(tmp_path, 'name = "office"\nlanguages = ["vie", "khm_notinstalled"]\n')
    home = tmp_path / "home"
    proc = _digitizer(home, "process", "--profile", "office", str(_sample(".tif")), config=config)
    _assert_refused_before_touching(home, proc, 4, "khm_notinstalled")


def test_profile_error_names_file_and_key(tmp_path: Path) -> None:
    config = _config_with(tmp_path, 'name = "office"\npdfa_level = "3u"\n')
    home = tmp_path / "home"
    proc = _digitizer(home, "process", "--profile", "office", str(_sample(".tif")), config=config)
    _assert_refused_before_touching(home, proc, 3, "pdfa_level")
    assert "office.toml" in proc.stderr


# ------------------------------------------------------------------ PDF/A-1b profile


def test_archive_profile_writes_pdfa_1b_that_passes_preflight_after_signing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = _digitizer(home, "process", "--json", "--profile", "archive-land", str(_sample(".tif")))
    (row,) = _json_lines(proc.stdout)
    assert row["status"] in ("registered", "needs_review"), row["error"]
    out = Path(str(row["output"]))
    ok, report = preflight_a1b(out)
    assert ok, report
    assert pdfsig_valid(out)[0]


def test_a_pipeline_without_signing_still_writes_and_registers(tmp_path: Path) -> None:
    config = _config_with(tmp_path, 'name = "office"\npipeline = "nosign"\n')
    (config / "pipelines" / "nosign.toml").write_text(
        'stages = ["ingest", "orient", "ocr", "pdfa", "register"]\n', encoding="utf-8"
    )
    home = tmp_path / "home"
    proc = _digitizer(
        home, "process", "--json", "--profile", "office", str(_sample(".tif")), config=config
    )
    (row,) = _json_lines(proc.stdout)
    assert row["status"] in ("registered", "needs_review"), row["error"]
    out = Path(str(row["output"]))
    assert out.is_file()
    assert not pdfsig_valid(out)[0]  # not signed, as configured
    assert "%%EOF" in out.read_bytes()[-64:].decode("latin-1")
    left = [p for p in (home / "work").rglob("*") if not p.is_dir()]
    assert not left  # no intermediate (nor content claim) left behind


def test_a_pipeline_in_the_wrong_order_is_refused(tmp_path: Path) -> None:
    config = _config_with(tmp_path, 'name = "office"\npipeline = "bad"\n')
    (config / "pipelines" / "bad.toml").write_text(
        'stages = ["ingest", "pdfa", "ocr", "register"]\n', encoding="utf-8"
    )
    home = tmp_path / "home"
    proc = _digitizer(home, "process", "--profile", "office", str(_sample(".tif")), config=config)
    _assert_refused_before_touching(home, proc, 3, "order")


def test_readable_summary_without_json(tmp_path: Path) -> None:
    """What an operator sees: a table with every file and a counts line, exit 0."""
    home = tmp_path / "home"
    scans = [_sample(".tif"), _sample(".png")]
    proc = _digitizer(home, "process", *[str(p) for p in scans])
    assert proc.returncode == 0, proc.stderr
    for scan in scans:
        assert scan.name in proc.stdout
    assert "pages in" in proc.stdout and "pages/min" in proc.stdout
    assert "registered" in proc.stdout or "needs_review" in proc.stdout


def test_a_usage_error_is_reported_not_a_traceback(tmp_path: Path) -> None:
    proc = _digitizer(tmp_path / "home", "process", "--workers", "many", str(_sample(".tif")))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--workers" in proc.stderr


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A sparse file of 5 GB (a few bytes on disk): refused from its size, in one line,
    without being hashed (which would read 5 GB of zeros)."""
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as fh:
        fh.truncate(5 * 1024**3)
    done = _digitizer(tmp_path / "home", "process", "--json", str(huge), timeout=60)
    assert done.returncode == 1
    (report,) = _json_lines(done.stdout)
    assert report["status"] == "failed" and "max_file_mb" in str(report["error"])
