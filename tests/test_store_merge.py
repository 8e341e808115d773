"""`digitizer store merge`: a workstation's SQLite store and archive into the province store.

Source: a copy of a home where `digitizer process` registered two samples (the fixture of
tests/test_reindex.py), plus a dossier, a reuse event and a clerk's audit entry. Target: a
real PostgreSQL database whose audit chain already has an entry of its own.

The source is not trusted: a crafted copy of that home (rows forged in its database, files
planted in its archive, its own CA, its audit chain and seal) must neither read a file
outside its archive, nor write one outside the target's, nor register a PDF that is not the
validly signed PDF/A of its record, signed by a CA the target trusts, nor carry a state its
audit chain did not record, nor touch what the target alone has. The workstation's demo CA
is trusted the way a province would: given with --trust-ca, or shared (the same keys/).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from sqlalchemy import func, select

from digitizer.claims import ContentClaims
from digitizer.digest import sha256_of
from digitizer.keys import init_demo_keys
from digitizer.store import Store
from digitizer.store.audit import GENESIS, entry_hash, record, verify_chain
from digitizer.store.merge_checks import MAX_PDF_BYTES
from digitizer.store.merge_records import as_utc
from digitizer.store.models import (
    AuditEntry,
    Document,
    Dossier,
    Field,
    OcrWordRow,
    Page,
    ReuseEvent,
    Unit,
)
from tests.cli import run_digitizer
from tests.conftest import sqlite_url
from tests.test_reindex import SCANS, copy_home, digitizer, processed

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
    home: Path, source: Path, db_url: str | None = None, *, trust_ca: Path | None = None
) -> tuple[int, dict[str, Any], str]:
    """Run the merge (trusting ``trust_ca`` too when given); a merge that blocks fails the
    test (TimeoutExpired) instead of hanging."""
    trust = ["--trust-ca", str(trust_ca)] if trust_ca is not None else []
    done = run_digitizer(
        home, "store", "merge", str(source), "--json", *trust, db_url=db_url, timeout=180
    )
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, report, done.stderr


def _ca(home: Path) -> Path:
    """The demo CA of a home (what its PDFs and its seal chain to)."""
    return home / "keys" / "demo-ca.pem"


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
    shutil.copytree(workstation / "keys", province / "keys")  # one office key, one CA

    code, report, stderr = _merge(province, workstation, pg_url)
    assert code == 0, stderr
    assert report["documents_added"] == 2 and report["documents_present"] == 0
    assert report["pdfs_copied"] == 2 and report["refused"] == []
    assert report["dossiers_added"] == 1 and report["reuse_events_added"] == 1
    assert report["not_tied"] == 0 and report["out_of_scope"] == 0
    source = Store(sqlite_url(workstation / "digitizer.db"))
    with source.session() as s:
        source_actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert "correct" in source_actions
    assert report["audit_entries_added"] == len(source_actions)
    assert int(report["journal_entries_added"]) >= 2
    target = Store(pg_url)
    try:
        assert _content(target) == _content(source)  # every word and field came along
        with target.session() as s:
            for doc in s.scalars(select(Document)):
                pdf = province / doc.output_path
                assert pdf.is_relative_to(province / "archive")
                assert sha256_of(pdf) == doc.output_sha256
            dossier = s.scalars(select(Dossier)).one()
            assert dossier.reused  # the dossier's progress followed its reuse event
            event = s.scalars(select(ReuseEvent)).one()
            assert (event.document_id, event.dossier_id) == (reused, dossier.id)
            chain = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        merged = [e for e in chain if e.action == "merged"]  # each ties its document's state
        assert len(merged) == 2 and all(e.state for e in merged)
        rest = [e for e in chain if e.action != "merged"]
        assert [e.action for e in rest] == ["accept", *source_actions, "merge"]
        correction = rest[1 + source_actions.index("correct")]
        assert correction.new_value == "NGUYỄN" and correction.actor == "clerk-a"
        assert verify_chain(target) is None  # re-linked, and the chain holds
    finally:
        source.close()
        target.close()
    # what merge accepted, check accepts: signatures chain to the (shared) CA, and merged
    # documents are tied to the entries that brought them
    checked = json.loads(run_digitizer(province, "check", "--json", db_url=pg_url).stdout)
    assert checked["not_tied"] == 0
    assert checked["damaged"] == [], checked

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
    damaged_pdf = workstation / damaged_path
    data = bytearray(damaged_pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged_pdf.write_bytes(bytes(data))

    province = tmp_path / "province"
    code, report, _ = _merge(province, workstation, trust_ca=_ca(workstation))
    assert code == 1
    assert report["documents_added"] == 1
    assert len(report["refused"]) == 1 and damaged_id in report["refused"][0]
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
    code, _, stderr = _merge(tmp_path / "province", workstation, trust_ca=_ca(workstation))
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
            "UPDATE documents SET output_path = '/srv/old-machine/home/' || output_path",
        )
    code, report, stderr = _merge(tmp_path / "province", workstation, trust_ca=_ca(workstation))
    assert code == 0, stderr
    assert report["documents_added"] == 2 and report["refused"] == []


def test_times_from_a_server_in_another_zone_are_kept_as_the_same_instant() -> None:
    hanoi = dt.timezone(dt.timedelta(hours=7))
    at = dt.datetime(2026, 3, 1, 10, 0, tzinfo=hanoi)
    assert as_utc(at) == dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC)
    assert as_utc(at).utcoffset() == dt.timedelta(0)
    assert as_utc(dt.datetime(2026, 3, 1, 3, 0)).tzinfo is dt.UTC  # SQLite's naive UTC


# ----------------------------------------------------------------- an untrusted source


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _id_of(label: str) -> tuple[str, str]:
    """A document id of the product's form and the scan SHA-256 it comes from."""
    scan_sha = _sha(label.encode())
    return scan_sha[:16], scan_sha


def _genuine(home: Path) -> list[tuple[str, Path]]:
    """The workstation's registered documents: id and signed PDF, by id."""
    with sqlite3.connect(home / "digitizer.db") as db:
        rows = db.execute("SELECT id, output_path FROM documents ORDER BY id").fetchall()
    return [(doc_id, home / path) for doc_id, path in rows]


def _forge(
    home: Path,
    doc_id: str,
    scan_sha: str,
    output_path: Path | str,
    output_sha: str,
    *,
    like: Path | None = None,
) -> None:
    """A document row (copied from a genuine one of ``like``, by default of ``home``
    itself, without pages) with these values."""
    with sqlite3.connect((like or home) / "digitizer.db") as db:
        db.row_factory = sqlite3.Row
        row = dict(db.execute("SELECT * FROM documents ORDER BY id LIMIT 1").fetchone())
    row.update(id=doc_id, sha256=scan_sha, output_path=str(output_path), output_sha256=output_sha)
    with sqlite3.connect(home / "digitizer.db") as db:
        db.execute(
            f"INSERT INTO documents ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )


def _in_archive(home: Path, doc_id: str) -> Path:
    pdf = home / "archive" / doc_id[:2] / f"{doc_id}.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    return pdf


def _files(root: Path, *, besides: Path) -> dict[Path, float]:
    """Every file under ``root`` but not under ``besides`` (nor the source's database
    files SQLite may touch), with its change time."""
    return {
        p: p.lstat().st_mtime
        for p in root.rglob("*")
        if not p.is_dir() and not p.is_relative_to(besides) and ".db" not in p.name
    }


def _refused_alone(
    tmp_path: Path, workstation: Path, forged: str, why: str, merged: int = 2
) -> list[str]:
    """Merge ``workstation`` into a new province home: only ``forged`` is refused, for
    ``why``; nothing is written outside the province home, and only the genuine documents'
    PDFs (0600) are in its archive. The refused lines."""
    province = tmp_path / "province"
    before = _files(tmp_path, besides=province)
    code, report, stderr = _merge(province, workstation, trust_ca=_ca(workstation))
    assert code == 1, stderr
    refused = report["refused"]
    assert len(refused) == 1, refused
    assert refused[0].startswith(forged) and why in refused[0], refused[0]
    assert "\n" not in refused[0]
    frames = [line for line in stderr.splitlines() if line.lstrip().startswith('File "')]
    assert all("pyhanko" in f for f in frames), stderr  # pyHanko logs its own, merge none
    assert report["documents_added"] == merged and report["pdfs_copied"] == merged
    assert _files(tmp_path, besides=province) == before  # nothing written outside
    target = Store(sqlite_url(province / "digitizer.db"))
    try:
        with target.session() as s:
            assert s.get(Document, forged) is None
            paths = {province / p for p in s.scalars(select(Document.output_path))}
    finally:
        target.close()
    in_archive = {p for p in (province / "archive").rglob("*") if not p.is_dir()}
    assert in_archive == paths and len(paths) == merged
    for pdf in paths:
        assert stat.S_IMODE(pdf.lstat().st_mode) == 0o600 and pdf.is_file()
        assert pdf.is_relative_to(province / "archive")
    return refused


def test_a_record_naming_a_file_outside_the_archive_is_not_read(
    processed: Path, tmp_path: Path
) -> None:
    """The /etc/shadow case: a row whose output_path is any readable file, with its hash."""
    workstation = copy_home(processed, tmp_path / "workstation")
    secret = tmp_path / "secret"
    secret.write_bytes(b"root:$6$not-for-the-archive:19000:0:99999:7:::\n")
    forged, scan_sha = _id_of("shadow")
    _forge(workstation, forged, scan_sha, secret, _sha(secret.read_bytes()))

    _refused_alone(tmp_path, workstation, forged, "no PDF at")
    for pdf in (tmp_path / "province").rglob("*"):
        assert not pdf.is_file() or secret.read_bytes() not in pdf.read_bytes()


@pytest.mark.parametrize(
    ("forged", "why"),
    [
        ("../escaped", "not a document id"),
        ("0123456789ABCDEF", "not a document id"),
        ("0123456789abcdef", "does not agree with its recorded scan SHA-256"),
    ],
)
def test_an_id_not_of_the_products_form_is_refused(
    processed: Path, tmp_path: Path, forged: str, why: str
) -> None:
    """An id with ``../`` wrote a file outside the target home; an id must be the start
    of its own scan's SHA-256. Codes of dossiers stay data, whatever they contain."""
    workstation = copy_home(processed, tmp_path / "workstation")
    outside = tmp_path / "outside.pdf"
    shutil.copy2(_genuine(workstation)[0][1], outside)  # a genuine signed PDF, elsewhere
    _forge(workstation, forged, _sha(b"another scan"), outside, _sha(outside.read_bytes()))
    with sqlite3.connect(workstation / "digitizer.db") as db:
        db.execute(
            "INSERT INTO dossiers (code, origin, status, created_at, digitized, "
            "awaiting_review, reused) VALUES "
            "('../../dossier', 'import', 'received', '2026-01-01 00:00:00', 0, 0, 0)"
        )

    _refused_alone(tmp_path, workstation, forged, why)
    assert not (tmp_path / "escaped.pdf").exists()
    target = Store(sqlite_url(tmp_path / "province" / "digitizer.db"))
    try:
        with target.session() as s:
            assert s.scalars(select(Dossier.code)).all() == ["../../dossier"]
    finally:
        target.close()


def test_a_symbolic_link_out_of_the_archive_is_not_followed(
    processed: Path, tmp_path: Path
) -> None:
    workstation = copy_home(processed, tmp_path / "workstation")
    secret = tmp_path / "secret"
    secret.write_bytes(b"a file of the machine, not of the archive\n")
    forged, scan_sha = _id_of("symlink")
    link = _in_archive(workstation, forged)
    link.symlink_to(secret)
    _forge(workstation, forged, scan_sha, link, _sha(secret.read_bytes()))

    _refused_alone(tmp_path, workstation, forged, "leads outside the source archive")


def test_a_fifo_in_the_archive_does_not_block_the_merge(processed: Path, tmp_path: Path) -> None:
    """Opening a FIFO for reading waits for a writer: the merge must not (a timeout on the
    run turns a hang into a failure)."""
    workstation = copy_home(processed, tmp_path / "workstation")
    forged, scan_sha = _id_of("fifo")
    fifo = _in_archive(workstation, forged)
    os.mkfifo(fifo)
    _forge(workstation, forged, scan_sha, fifo, "0" * 64)

    _refused_alone(tmp_path, workstation, forged, "not a regular file")


def test_a_pdf_larger_than_the_bound_is_refused_unread(processed: Path, tmp_path: Path) -> None:
    workstation = copy_home(processed, tmp_path / "workstation")
    forged, scan_sha = _id_of("huge")
    huge = _in_archive(workstation, forged)
    with huge.open("wb") as fh:
        fh.truncate(MAX_PDF_BYTES + 1)  # sparse: no disk used
    _forge(workstation, forged, scan_sha, huge, "0" * 64)

    _refused_alone(tmp_path, workstation, forged, "more than the limit")


def test_another_documents_signed_pdf_under_a_forged_record_is_refused(
    processed: Path, tmp_path: Path
) -> None:
    """A genuine signed PDF, its true hash, but the record of another document: the id
    written in its XMP says whose it is."""
    workstation = copy_home(processed, tmp_path / "workstation")
    genuine_id, genuine_pdf = _genuine(workstation)[0]
    forged, scan_sha = _id_of("forged record")
    planted = _in_archive(workstation, forged)
    shutil.copy2(genuine_pdf, planted)
    _forge(workstation, forged, scan_sha, planted, _sha(planted.read_bytes()))

    _refused_alone(tmp_path, workstation, forged, f"the signed PDF of document {genuine_id}")


def _unsigned(pdf: Path) -> None:
    """Replace ``pdf`` by an unsigned PDF that says it is the same document."""
    from digitizer.pdfa.xmp import PROJECT_NS

    with pikepdf.open(pdf) as signed:
        doc_id = signed.open_metadata().get(f"{{{PROJECT_NS}}}documentId")
    plain = pikepdf.new()
    plain.add_blank_page()
    with plain.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta[f"{{{PROJECT_NS}}}documentId"] = doc_id
    plain.save(pdf)


def _altered(pdf: Path) -> None:
    """Change one byte of the signed bytes (inside the page image)."""
    data = bytearray(pdf.read_bytes())
    data[len(data) // 3] ^= 0x01
    pdf.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("spoil", "why"),
    [(_unsigned, "no signature"), (_altered, "not a valid signed PDF/A")],
    ids=["unsigned", "altered"],
)
def test_a_pdf_whose_signature_does_not_verify_is_refused_even_with_its_hash_recorded(
    processed: Path, tmp_path: Path, spoil: Callable[[Path], None], why: str
) -> None:
    workstation = copy_home(processed, tmp_path / "workstation")
    doc_id, pdf = _genuine(workstation)[0]
    spoil(pdf)
    with sqlite3.connect(workstation / "digitizer.db") as db:
        db.execute(
            "UPDATE documents SET output_sha256 = ? WHERE id = ?", (_sha(pdf.read_bytes()), doc_id)
        )

    _refused_alone(tmp_path, workstation, doc_id, why, merged=1)


def test_a_pdf_signed_by_a_certificate_the_target_does_not_trust_is_refused(
    processed: Path, tmp_path: Path
) -> None:
    """Signed by the real pipeline of another home (its own demo CA): intact, but not
    signed by a key this merge trusts (the workstation's CA is given, not that one)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy2(SCANS / "scan_0003.tif", inbox / "scan_0003.tif")
    elsewhere = tmp_path / "elsewhere"
    digitizer(elsewhere, "process", "--json", str(inbox), check=True)
    ((foreign_id, foreign_pdf),) = _genuine(elsewhere)
    with sqlite3.connect(elsewhere / "digitizer.db") as db:
        (scan_sha,) = db.execute("SELECT sha256 FROM documents").fetchone()
    workstation = copy_home(processed, tmp_path / "workstation")
    planted = _in_archive(workstation, foreign_id)
    shutil.copy2(foreign_pdf, planted)
    _forge(workstation, foreign_id, scan_sha, planted, _sha(planted.read_bytes()))

    _refused_alone(tmp_path, workstation, foreign_id, "trust root")


# ----------------------------------------------------------------- what the target trusts


def test_a_workstation_signed_by_a_ca_neither_in_the_profile_nor_given_is_refused_per_document(
    processed: Path, tmp_path: Path
) -> None:
    """The workstation's own demo CA, shipped inside its (untrusted) home, was trusted: now
    only what `check` of the province accepts, and the CAs given with --trust-ca."""
    workstation = copy_home(processed, tmp_path / "workstation")
    shutil.rmtree(workstation / "audit-seal")  # an older workstation: nothing refuses it whole
    province = tmp_path / "province"
    init_demo_keys(province)  # the province's own CA: the one its profile trusts

    code, report, stderr = _merge(province, workstation)
    assert code == 1, stderr
    assert report["documents_added"] == 0 and len(report["refused"]) == 2
    assert all("trust root" in line for line in report["refused"]), report["refused"]
    assert not any((province / "archive").rglob("*.pdf"))

    code, report, stderr = _merge(province, workstation, trust_ca=_ca(workstation))
    assert code == 0, stderr
    assert report["documents_added"] == 2 and report["refused"] == []
    warnings = [line for line in stderr.splitlines() if "no audit seal" in line]
    assert len(warnings) == 1, stderr  # merged, with one warning line


def _truncated(home: Path) -> None:
    """The chain's last entry deleted: the chain holds by itself, not against its seal."""
    with sqlite3.connect(home / "digitizer.db") as db:
        db.execute("DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)")


def _as_it_is(home: Path) -> None:
    """Nothing changed."""


def _fifo_as_lock(home: Path) -> None:
    """The seal's lock file a FIFO: opening it to read the seal would wait for ever."""
    lock = home / "audit-seal" / ".lock"
    lock.unlink(missing_ok=True)
    os.mkfifo(lock)


@pytest.mark.parametrize(
    ("spoil", "trusted", "problem"),
    [
        (_as_it_is, False, "seal_invalid"),
        (_truncated, True, "audit_truncated"),
        (_fifo_as_lock, True, ".lock is a FIFO"),
    ],
    ids=["seal-by-an-untrusted-key", "chain-cut-short", "fifo-in-the-seal-folder"],
)
def test_a_workstation_whose_seal_does_not_hold_is_refused_as_a_whole(
    processed: Path,
    tmp_path: Path,
    spoil: Callable[[Path], None],
    trusted: bool,
    problem: str,
) -> None:
    workstation = copy_home(processed, tmp_path / "workstation")
    spoil(workstation)
    province = tmp_path / "province"
    init_demo_keys(province)

    code, report, stderr = _merge(
        province, workstation, trust_ca=_ca(workstation) if trusted else None
    )
    assert code == 1 and report == {}, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("digitizer: error:")]
    assert len(errors) == 1 and problem in errors[0], stderr
    frames = [line for line in stderr.splitlines() if line.lstrip().startswith('File "')]
    assert all("pyhanko" in f for f in frames), stderr  # pyHanko logs its own, merge none
    assert not any((province / "archive").rglob("*.pdf"))
    target = Store(sqlite_url(province / "digitizer.db"))
    try:
        with target.session() as s:
            assert s.scalars(select(Document.id)).all() == []
    finally:
        target.close()


# ----------------------------------------------------------------- the source's own state


def _field_edited(home: Path, doc_id: str) -> None:
    with sqlite3.connect(home / "digitizer.db") as db:
        db.execute(
            "UPDATE fields SET value = 'NGUYỄN VĂN GIẢ' WHERE id = "
            "(SELECT min(id) FROM fields WHERE document_id = ?)",
            (doc_id,),
        )


def _status_flipped(home: Path, doc_id: str) -> None:
    with sqlite3.connect(home / "digitizer.db") as db:
        db.execute(
            "UPDATE documents SET status = CASE status WHEN 'registered' THEN 'needs_review' "
            "ELSE 'registered' END WHERE id = ?",
            (doc_id,),
        )


@pytest.mark.parametrize("edit", [_field_edited, _status_flipped], ids=["field", "status"])
def test_a_document_whose_state_its_chain_did_not_record_is_refused(
    processed: Path, tmp_path: Path, edit: Callable[[Path, str], None]
) -> None:
    """Edited in the workstation's database: the merge would have sealed the edit in with
    its own `merged` entry."""
    workstation = copy_home(processed, tmp_path / "workstation")
    doc_id, _ = _genuine(workstation)[0]
    edit(workstation, doc_id)

    _refused_alone(
        tmp_path, workstation, doc_id, "not the state its newest audit entry recorded", merged=1
    )


def _without_states(home: Path) -> None:
    """The home as a digitizer from before state entries left it: its chain without states
    (hashed as that version did), and no seal."""
    store = Store(sqlite_url(home / "digitizer.db"))
    try:
        with store.session() as s, s.begin():
            prev = GENESIS
            for entry in list(s.scalars(select(AuditEntry).order_by(AuditEntry.id))):
                entry.state, entry.prev_hash = None, prev
                entry.hash = prev = entry_hash(entry)
    finally:
        store.close()
    shutil.rmtree(home / "audit-seal")


def test_documents_of_a_workstation_older_than_state_entries_are_merged_not_tied(
    processed: Path, tmp_path: Path
) -> None:
    workstation = copy_home(processed, tmp_path / "workstation")
    _without_states(workstation)
    province = tmp_path / "province"

    code, report, stderr = _merge(province, workstation, trust_ca=_ca(workstation))
    assert code == 0, stderr
    assert report["documents_added"] == 2 and report["not_tied"] == 2
    target = Store(sqlite_url(province / "digitizer.db"))
    try:
        with target.session() as s:
            merged = s.scalars(select(AuditEntry).where(AuditEntry.action == "merged")).all()
    finally:
        target.close()
    assert len(merged) == 2 and all(e.state for e in merged)  # tied from now on


# ----------------------------------------------------------------- the target at work


def test_a_document_being_digitized_on_the_target_is_left_for_a_later_merge(
    processed: Path, tmp_path: Path
) -> None:
    """A watcher or worker of the province holds the content's claim while it writes that
    content's signed PDF: the merge must not write the same file meanwhile."""
    workstation = copy_home(processed, tmp_path / "workstation")
    busy_id, _ = _genuine(workstation)[0]
    with sqlite3.connect(workstation / "digitizer.db") as db:
        (scan_sha,) = db.execute("SELECT sha256 FROM documents WHERE id = ?", (busy_id,)).fetchone()
    province = tmp_path / "province"
    province.mkdir()
    target = Store(sqlite_url(province / "digitizer.db"))
    claims = ContentClaims(province / "work", target)
    try:
        assert claims.try_claim(scan_sha)
        _refused_alone(tmp_path, workstation, busy_id, "being digitized now on this home", merged=1)
    finally:
        claims.close()
        target.close()

    code, report, stderr = _merge(province, workstation, trust_ca=_ca(workstation))
    assert code == 0, stderr
    assert report["documents_added"] == 1 and report["documents_present"] == 1


def test_a_workstation_cannot_add_history_to_what_the_target_alone_has(
    processed: Path, tmp_path: Path
) -> None:
    """Audit entries and a reuse event naming a document only the province has, and a unit
    code the province has, with another name and validity: none of it reaches the province
    (the workstation's own history does)."""
    workstation, reused = _workstation(processed, tmp_path / "workstation")
    province = tmp_path / "province"
    province.mkdir()
    own_id, own_sha = _id_of("a document of the province alone")
    target = Store(sqlite_url(province / "digitizer.db"))
    try:
        unit = target.ensure_unit("99901", "Xã Thật")
    finally:
        target.close()
    _forge(province, own_id, own_sha, "archive/own.pdf", "0" * 64, like=workstation)
    source = Store(sqlite_url(workstation / "digitizer.db"))
    try:
        record(
            source,
            actor="clerk-x",
            action="correct",
            document_id=own_id,
            field_name="full_name",
            old_value="TRẦN",
            new_value="forged",
        )
    finally:
        source.close()
    with sqlite3.connect(workstation / "digitizer.db") as db:
        db.execute(
            "INSERT INTO reuse_events (at, document_id, dossier_id, actor, automatic) "
            "VALUES ('2026-01-02 00:00:00', ?, NULL, 'clerk-x', 0)",
            (own_id,),
        )
        db.execute(
            "INSERT INTO units (code, name, level, valid_from) "
            "VALUES ('99901', 'Xã Giả', 'commune', '2026-01-01')"
        )
        db.execute("UPDATE dossiers SET unit_id = (SELECT id FROM units WHERE name = 'Xã Giả')")

    code, report, stderr = _merge(province, workstation, trust_ca=_ca(workstation))
    assert code == 0, stderr
    assert report["documents_added"] == 2 and report["out_of_scope"] == 2
    assert report["units_added"] == 0
    target = Store(sqlite_url(province / "digitizer.db"))
    try:
        with target.session() as s:
            about_own = s.scalars(select(AuditEntry).where(AuditEntry.document_id == own_id))
            assert about_own.all() == []
            assert s.scalars(select(ReuseEvent).where(ReuseEvent.document_id == own_id)).all() == []
            units = s.execute(
                select(Unit.id, Unit.name, Unit.valid_from).where(Unit.code == "99901")
            )
            assert [tuple(u) for u in units] == [(unit, "Xã Thật", None)]
            assert s.scalars(select(Dossier.unit_id)).one() == unit
            correction = s.scalars(select(AuditEntry).where(AuditEntry.action == "correct")).one()
            assert correction.document_id == reused  # the workstation's own clerk came along
            assert s.scalars(select(ReuseEvent.document_id)).all() == [reused]
    finally:
        target.close()
