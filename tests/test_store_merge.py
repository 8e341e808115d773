"""`digitizer store merge`: a workstation's SQLite store and archive into the province store.

Source: a copy of a home where `digitizer process` registered two samples (the fixture of
tests/test_reindex.py), plus a dossier, a reuse event and a clerk's audit entry. Target: a
real PostgreSQL database whose audit chain already has an entry of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import func, select

from digitizer.digest import sha256_of
from digitizer.store import Store
from digitizer.store.audit import record, verify_chain
from digitizer.store.merge import as_utc
from digitizer.store.models import (
    AuditEntry,
    Document,
    Dossier,
    Field,
    OcrWordRow,
    Page,
    ReuseEvent,
)
from tests.cli import run_digitizer
from tests.conftest import sqlite_url
from tests.test_reindex import copy_home, processed

__all__ = ["processed"]  # the module fixture, used here too


def _workstation(processed: Path, home: Path) -> tuple[Path, str]:
    """A copy of the processed home with a dossier, a reuse of its first document, and a
    clerk's correction in its audit chain; returns the home and that document's id."""
    copy_home(processed, home)
    store = Store(sqlite_url(home / "digitizer.db"))
    try:
        unit = store.ensure_unit("99901", "Xã Thử Nghiệm")
        with store.session() as s, s.begin():
            first = s.scalars(select(Document.id).order_by(Document.id)).first()
            assert first is not None
            dossier = Dossier(
                code="H99.1-260101-0001",
                unit_id=unit,
                origin="import",
                received_on=dt.date(2026, 1, 1),
            )
            s.add(dossier)
            s.flush()
            s.add(ReuseEvent(document_id=first, dossier_id=dossier.id, actor="clerk-a"))
        record(
            store,
            actor="clerk-a",
            action="correct",
            document_id=first,
            field_name="full_name",
            old_value="NGUYEN",
            new_value="NGUYỄN",
        )
    finally:
        store.close()
    return home, first


def _merge(
    home: Path, source: Path, db_url: str | None = None
) -> tuple[int, dict[str, object], str]:
    done = run_digitizer(home, "store", "merge", str(source), "--json", db_url=db_url)
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, report, done.stderr


def _content(store: Store) -> dict[str, tuple[int, set[tuple[str, str | None, str]]]]:
    """Per document: its number of OCR words and its fields (name, value, origin)."""
    out = {}
    with store.session() as s:
        for doc_id in s.scalars(select(Document.id)):
            words = s.scalar(
                select(func.count())
                .select_from(OcrWordRow)
                .join(Page, Page.id == OcrWordRow.page_id)
                .where(Page.document_id == doc_id)
            )
            fields = {
                (f.name, f.value, f.origin)
                for f in s.scalars(select(Field).where(Field.document_id == doc_id))
            }
            out[doc_id] = (int(words or 0), fields)
    return out


def test_a_workstation_merges_into_the_province_store_once(
    processed: Path, tmp_path: Path, pg_url: str
) -> None:
    workstation, reused = _workstation(processed, tmp_path / "workstation")
    province = tmp_path / "province"
    target = Store(pg_url)
    record(target, actor="clerk-p", action="accept", document_id="elsewhere")
    target.close()

    code, report, stderr = _merge(province, workstation, pg_url)
    assert code == 0, stderr
    assert report["documents_added"] == 2 and report["documents_present"] == 0
    assert report["pdfs_copied"] == 2 and report["refused"] == []
    assert report["dossiers_added"] == 1 and report["reuse_events_added"] == 1
    assert report["audit_entries_added"] == 1 and int(report["journal_entries_added"]) >= 2

    source = Store(sqlite_url(workstation / "digitizer.db"))
    target = Store(pg_url)
    try:
        assert _content(target) == _content(source)  # every word and field came along
        with target.session() as s:
            for doc in s.scalars(select(Document)):
                pdf = Path(doc.output_path)
                assert pdf.is_relative_to(province / "archive")
                assert sha256_of(pdf) == doc.output_sha256
            dossier = s.scalars(select(Dossier)).one()
            assert dossier.reused  # the dossier's progress followed its reuse event
            event = s.scalars(select(ReuseEvent)).one()
            assert (event.document_id, event.dossier_id) == (reused, dossier.id)
            chain = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        assert [e.action for e in chain] == ["accept", "correct", "merge"]
        assert chain[1].new_value == "NGUYỄN" and chain[1].actor == "clerk-a"
        assert verify_chain(target) is None  # re-linked, and the chain holds
    finally:
        source.close()
        target.close()

    # Again, and from a second workstation that digitized the same scans: nothing twice.
    second = copy_home(processed, tmp_path / "workstation-2")
    for again in (workstation, second):
        code, report, stderr = _merge(province, again, pg_url)
        assert code == 0, stderr
        assert report["documents_present"] == 2
        added = [k for k, v in report.items() if k.endswith("_added") and v]
        assert added == [], report


def test_a_pdf_that_does_not_match_its_record_is_not_merged(
    processed: Path, tmp_path: Path
) -> None:
    workstation = copy_home(processed, tmp_path / "workstation")
    with sqlite3.connect(workstation / "digitizer.db") as db:
        damaged_id, damaged_path = db.execute(
            "SELECT id, output_path FROM documents ORDER BY id LIMIT 1"
        ).fetchone()
    data = bytearray(Path(damaged_path).read_bytes())
    data[len(data) // 2] ^= 0x01
    Path(damaged_path).write_bytes(bytes(data))

    province = tmp_path / "province"
    code, report, _ = _merge(province, workstation)
    assert code == 1
    assert report["documents_added"] == 1
    assert len(report["refused"]) == 1 and damaged_id in report["refused"][0]  # type: ignore[index]
    target = Store(sqlite_url(province / "digitizer.db"))
    try:
        with target.session() as s:
            assert s.get(Document, damaged_id) is None
    finally:
        target.close()
    assert not list((province / "archive").rglob(f"*{damaged_id}*"))  # no partial copy


def test_a_source_whose_audit_chain_is_broken_is_refused(processed: Path, tmp_path: Path) -> None:
    workstation, _ = _workstation(processed, tmp_path / "workstation")
    with sqlite3.connect(workstation / "digitizer.db") as db:
        db.execute("UPDATE audit SET new_value = 'forged'")
    code, _, stderr = _merge(tmp_path / "province", workstation)
    assert code == 8
    assert "audit chain is broken" in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "province" / "archive").exists() or not any(
        (tmp_path / "province" / "archive").rglob("*.pdf")
    )


def test_a_home_copied_from_another_machine_merges_from_its_own_archive(
    processed: Path, tmp_path: Path
) -> None:
    """The records name the PDFs where the workstation kept them; the copy has them in its
    own archive/ folder."""
    workstation = tmp_path / "copied"
    shutil.copytree(processed, workstation)
    with sqlite3.connect(workstation / "digitizer.db") as db:
        db.execute(
            "UPDATE documents SET output_path = replace(output_path, ?, '/srv/old-machine/home')",
            (str(processed),),
        )
    code, report, stderr = _merge(tmp_path / "province", workstation)
    assert code == 0, stderr
    assert report["documents_added"] == 2 and report["refused"] == []


def test_times_from_a_server_in_another_zone_are_kept_as_the_same_instant() -> None:
    hanoi = dt.timezone(dt.timedelta(hours=7))
    at = dt.datetime(2026, 3, 1, 10, 0, tzinfo=hanoi)
    assert as_utc(at) == dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC)
    assert as_utc(at).utcoffset() == dt.timedelta(0)
    assert as_utc(dt.datetime(2026, 3, 1, 3, 0)).tzinfo is dt.UTC  # SQLite's naive UTC
