"""The audit chain: linked hashes, tampering found and named, two writers never fork it;
entries tie the state they left a document in."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import delete, select, update

from digitizer.records import DocumentResult, FieldValue
from digitizer.store import Store
from digitizer.store.audit import (
    GENESIS,
    append,
    canonical,
    entries_of,
    entry_hash,
    record,
    verify_chain,
    verify_chain_report,
    verify_since,
)
from digitizer.store.audit_state import document_state_digest, recorded_states, state_unchanged
from digitizer.store.models import AuditEntry, Document, Field

# ``store_url`` (tests/conftest.py): every test runs on SQLite and on a real PostgreSQL.


def _fill(store: Store, n: int) -> None:
    for i in range(n):
        record(
            store,
            actor="clerk-lan",
            action="correct",
            document_id=f"doc{i % 3:013d}",
            field_name="full_name",
            old_value="NGUYÊN VĂN AN",
            new_value=f"NGUYỄN VĂN AN {i}" if i % 2 else None,
        )


@pytest.fixture
def store(store_url: str) -> Store:
    s = Store(store_url)
    with s.session() as session, session.begin():
        session.execute(delete(AuditEntry))
    return s


def test_entries_are_linked_from_the_genesis(store: Store) -> None:
    _fill(store, 5)
    with store.session() as s:
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert entries[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    assert all(e.hash == entry_hash(e) for e in entries)  # as read back from the database
    report = verify_chain_report(store)
    assert (report.entries, report.head, report.broken) == (5, entries[-1].hash, None)


def test_canonical_form_is_fixed_and_utc(store: Store) -> None:
    import datetime as dt

    at = dt.datetime(2025, 7, 1, 8, 30, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    body = canonical(
        at=at,
        actor="a",
        action="accept",
        document_id=None,
        field_name="f",
        old_value="Đ",
        new_value=None,
        prev_hash=GENESIS,
    )
    assert (
        body
        == (
            '{"action":"accept","actor":"a","at":"2025-07-01T01:30:00.123456Z",'
            '"document_id":null,"field_name":"f","new_value":null,"old_value":"Đ",'
            f'"prev_hash":"{GENESIS}","v":1}}'
        ).encode()
    )


@pytest.mark.parametrize(
    ("change", "broken_id", "words"),
    [
        ({"new_value": "NGUYỄN VĂN ANH"}, 3, "content"),
        ({"actor": "someone-else"}, 3, "content"),
        ({"prev_hash": "f" * 64}, 3, "prev_hash"),
    ],
)
def test_a_changed_entry_is_named(
    store: Store, change: dict[str, str], broken_id: int, words: str
) -> None:
    _fill(store, 5)
    with store.session() as s:
        ids = list(s.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
    target = ids[broken_id - 1]
    with store.session() as s, s.begin():
        s.execute(update(AuditEntry).where(AuditEntry.id == target).values(**change))
    broken = verify_chain(store)
    assert broken is not None and broken.entry_id == target
    assert words in broken.reason


def test_a_deleted_entry_breaks_the_next_one(store: Store) -> None:
    _fill(store, 4)
    with store.session() as s:
        ids = list(s.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
    with store.session() as s, s.begin():
        s.execute(delete(AuditEntry).where(AuditEntry.id == ids[1]))
    broken = verify_chain(store)
    assert broken is not None and broken.entry_id == ids[2]
    assert f"entry {ids[0]}" in broken.reason


def test_a_rehashed_forgery_still_breaks_the_link_after_it(store: Store) -> None:
    """Recomputing the changed entry's own hash is not enough: the next entry points at
    the old one."""
    _fill(store, 3)
    with store.session() as s, s.begin():
        first = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).first()
        assert first is not None
        first.new_value = "FORGED"
        first.hash = entry_hash(first)
    broken = verify_chain(store)
    assert broken is not None and broken.entry_id == first.id + 1


def test_two_writers_never_fork_the_chain(store_url: str, store: Store) -> None:
    """Two stores (two engines, as two processes have) append at once: every entry links
    to the one before it."""
    per_writer = 15
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        own = Store(store_url)
        try:
            for i in range(per_writer):
                with own.session() as s, s.begin():
                    append(s, actor=name, action="accept", document_id="d", new_value=str(i))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=writer, args=(f"clerk{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    report = verify_chain_report(store)
    assert report.broken is None
    assert report.entries == 2 * per_writer
    with store.session() as s:
        prevs = list(s.scalars(select(AuditEntry.prev_hash)))
    assert len(set(prevs)) == len(prevs)  # no two entries share a predecessor


def test_an_empty_chain_holds(store: Store) -> None:
    report = verify_chain_report(store)
    assert (report.entries, report.head, report.broken) == (0, GENESIS, None)


def test_an_entrys_state_is_covered_by_its_hash(store: Store) -> None:
    with store.session() as s, s.begin():
        entry = append(s, actor="pipeline", action="digitize", document_id="d", state="a" * 64)
    assert b'"v":2' in canonical(
        at=entry.at,
        actor="pipeline",
        action="digitize",
        document_id="d",
        field_name=None,
        old_value=None,
        new_value=None,
        prev_hash=GENESIS,
        state="a" * 64,
    )
    assert verify_chain(store) is None
    with store.session() as s, s.begin():
        s.execute(update(AuditEntry).values(state="b" * 64))
    broken = verify_chain(store)
    assert broken is not None and "content" in broken.reason


def test_the_walk_counts_past_a_break_and_names_sealed_positions(store: Store) -> None:
    _fill(store, 4)
    with store.session() as s:
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    with store.session() as s, s.begin():
        s.execute(update(AuditEntry).where(AuditEntry.id == entries[1].id).values(actor="x"))
    report = verify_chain_report(store, at_positions=(1, 4, 9))
    assert report.broken is not None and report.broken.entry_id == entries[1].id
    assert report.entries == 4 and report.last_id == entries[-1].id
    assert report.at == {1: (entries[0].id, entries[0].hash), 4: (entries[3].id, entries[3].hash)}
    assert verify_since(store, entries[2].id, entries[2].hash) is None  # after the break
    assert verify_since(store, entries[0].id, entries[0].hash) is not None


def test_a_registration_ties_the_documents_state(store: Store) -> None:
    result = DocumentResult(
        source="/scans/a.tif",
        sha256="a" * 64,
        status="registered",
        document_id="a" * 16,
        doc_type="birth_certificate",
        fields={"full_name": FieldValue("NGUYỄN VĂN AN", 0.99, "ok")},
        pages=[],
        output="/archive/a.pdf",
        output_sha256="b" * 64,
    )
    store.register(result, profile="default", pdfa_level="2b", ocr_engine="t", unit_id=None)
    with store.session() as s, s.begin():
        doc = s.get(Document, result.document_id)
        assert doc is not None
        recorded = recorded_states(s, [doc.id])
        assert recorded == {doc.id: document_state_digest(s, doc)}
        assert state_unchanged(s, doc)
        field = s.scalars(select(Field).where(Field.document_id == doc.id)).one()
        field.value = "NGUYỄN VĂN GIẢ"
        assert not state_unchanged(s, doc)
        assert recorded_states(s, [doc.id]) == recorded  # the record is not the state
    assert [e.action for e in entries_of(store, doc.id)] == ["digitize"]


def test_state_digests_live_apart_from_the_chain() -> None:
    """The chain module stays small: the state functions are in audit_state, and the
    writers that call ``audit.document_state_digest`` get the same function."""
    from pathlib import Path

    from digitizer.store import audit, audit_state

    assert audit.document_state_digest is audit_state.document_state_digest
    assert len(Path(audit.__file__).read_text(encoding="utf-8").splitlines()) < 400
