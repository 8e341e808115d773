"""`digitizer check`: damaged, missing and unknown files in the archive are reported.

Works on a copy of a home where `digitizer process` registered two committed scans (the
fixture of tests/test_reindex.py); nothing the check finds may be deleted by it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from digitizer.check import check_archive
from digitizer.store import Store
from digitizer.store.audit import record
from digitizer.store.models import AuditEntry, Document
from tests.test_reindex import copy_home, digitizer, processed

__all__ = ["processed"]  # the module fixture, used here too


@pytest.fixture
def home(processed: Path, tmp_path: Path) -> Path:
    return copy_home(processed, tmp_path / "home")


def _outputs(home: Path) -> dict[str, Path]:
    store = Store(f"sqlite:///{home / 'digitizer.db'}")
    with store.session() as s:
        found = {d.id: home / d.output_path for d in s.query(Document)}
    store.close()
    return found


def _check(home: Path) -> tuple[int, dict[str, object], str]:
    done = digitizer(home, "check", "--json")
    return done.returncode, json.loads(done.stdout), done.stderr


def test_an_intact_archive_passes(home: Path) -> None:
    code, report, stderr = _check(home)
    assert code == 0, stderr
    assert report["ok"] is True and report["documents"] == report["verified"] == 2
    assert report["damaged"] == [] and report["unknown_files"] == []


def test_a_copied_home_checks_its_own_files_not_the_old_location(
    processed: Path, tmp_path: Path
) -> None:
    original = copy_home(processed, tmp_path / "original")
    copied = copy_home(original, tmp_path / "copied")
    for pdf in _outputs(original).values():
        pdf.write_bytes(b"damaged at the old location")
    code, report, stderr = _check(copied)
    assert code == 0, stderr
    assert report["verified"] == 2
    # a store from before relative paths: absolute paths into a home that is gone
    with sqlite3.connect(copied / "digitizer.db") as db:
        db.execute("UPDATE documents SET output_path = ? || '/' || output_path", (str(original),))
    shutil.rmtree(original)
    code, report, stderr = _check(copied)
    assert code == 0, stderr
    assert report["verified"] == 2


def test_flipped_byte_missing_file_and_stranger_are_reported_and_kept(home: Path) -> None:
    (flipped_id, flipped), (deleted_id, deleted) = sorted(_outputs(home).items())
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x01
    flipped.write_bytes(bytes(data))
    deleted.unlink()
    stranger = home / "archive" / "zz" / "stranger.pdf"
    stranger.parent.mkdir(parents=True)
    stranger.write_bytes(b"%PDF-1.7 nobody registered me\n")

    code, report, _ = _check(home)
    assert code != 0 and report["ok"] is False
    damaged = {d["document_id"]: d["problem"] for d in report["damaged"]}  # type: ignore[attr-defined]
    assert damaged == {flipped_id: "sha256_mismatch", deleted_id: "missing"}
    assert report["unknown_files"] == [str(stranger)]
    assert flipped.exists() and stranger.exists()  # reported, never deleted

    human = digitizer(home, "check")
    assert human.returncode != 0
    assert flipped_id in human.stdout and "stranger.pdf" in human.stdout


def test_a_changed_audit_entry_fails_the_check(home: Path) -> None:
    store = Store(f"sqlite:///{home / 'digitizer.db'}")
    doc_id = next(iter(_outputs(home)))
    record(store, actor="clerk", action="accept", document_id=doc_id, new_value="x")
    record(store, actor="clerk", action="accept", document_id=doc_id, new_value="y")
    with store.session() as s, s.begin():
        first = s.query(AuditEntry).order_by(AuditEntry.id).first()
        assert first is not None
        first.new_value = "tampered"
    report = check_archive(store, home / "archive", [])
    store.close()
    assert report.audit_broken is not None and report.audit_broken.startswith("entry ")
    assert not report.ok
