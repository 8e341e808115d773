"""Tampering with the store and the seal is named by `digitizer check` and `audit verify`.

Each test works on its own copy of a home where `digitizer process` registered two
committed scans (the fixture of tests/test_reindex.py: a birth certificate waiting for
review, a registered marriage certificate) and sealed the audit chain at its end. The
database is then changed with the sqlite3 module, as someone with the file would, and the
seal folder as someone with the home would; each change must be reported by its problem
name, with a non-zero exit.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from digitizer.config import Layout
from digitizer.profiles import find_profile
from digitizer.review.actions import Reviewer
from digitizer.seal import periodic_sealer, seal_chain, verify
from digitizer.store import Store, default_url
from digitizer.store.audit import GENESIS, canonical, record, verify_chain_report
from digitizer.understanding.schema import load_schemas
from digitizer.understanding.validate import load_province_codes
from tests.cli import run_digitizer
from tests.pki import SOFTHSM_MODULE, OfficePki, SoftToken, make_softhsm_token
from tests.test_reindex import ROOT, copy_home, processed

__all__ = ["processed"]  # the module fixture, used here too


@pytest.fixture
def home(processed: Path, tmp_path: Path) -> Path:
    return copy_home(processed, tmp_path / "home")


def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "digitizer.db", isolation_level=None)


def _run(home: Path, *args: str) -> tuple[int, dict[str, object]]:
    done = run_digitizer(home, *args, "--json", timeout=300)
    assert done.stdout.strip(), done.stderr
    return done.returncode, json.loads(done.stdout)


def _named(report: dict[str, object]) -> set[tuple[str, str | None]]:
    """(problem, document id or None) of every problem a report names."""
    problems = report["problems"]
    assert isinstance(problems, list)
    return {(p["problem"], p.get("document_id")) for p in problems}


def _documents(home: Path) -> dict[str, str]:
    """status -> id of the home's two documents."""
    with _db(home) as db:
        return dict(db.execute("SELECT status, id FROM documents").fetchall())


def _assert_caught(home: Path, expected: set[tuple[str, str | None]], chain: bool) -> None:
    """``check`` names every expected problem and fails; so does ``audit verify`` for the
    chain's own problems."""
    code, report = _run(home, "check")
    assert code != 0 and report["ok"] is False
    assert expected <= _named(report), report["problems"]
    if chain:
        code, verified = _run(home, "audit", "verify")
        assert code != 0 and verified["ok"] is False
        chain_codes = {p for p, _ in expected if p.startswith(("audit_", "seal_"))}
        assert chain_codes and chain_codes <= {p for p, _ in _named(verified)}


def test_an_untampered_home_passes_clean(home: Path) -> None:
    code, report = _run(home, "check")
    assert code == 0, report
    assert report["problems"] == [] and report["not_tied"] == 0
    assert report["verified"] == report["documents"] == 2
    seal = report["seal"]
    assert isinstance(seal, dict)
    assert (seal["sealed_entries"], seal["not_yet_sealed"]) == (2, 0)
    code, verified = _run(home, "audit", "verify")
    assert code == 0 and verified["ok"] is True and verified["entries"] == 2
    folder = home / "audit-seal"
    for name in ("head.json", "history.jsonl"):
        assert (folder / name).stat().st_mode & 0o777 == 0o600


def test_deleting_the_last_entry_is_truncation(home: Path) -> None:
    with _db(home) as db:
        last = db.execute("SELECT id, document_id FROM audit ORDER BY id DESC").fetchone()
        db.execute("DELETE FROM audit WHERE id = ?", (last[0],))
    # its document is no longer tied to any entry either
    _assert_caught(home, {("audit_truncated", None), ("state_mismatch", last[1])}, chain=True)


def test_deleting_every_entry_is_truncation(home: Path) -> None:
    with _db(home) as db:
        db.execute("DELETE FROM audit")
    _assert_caught(home, {("audit_truncated", None)}, chain=True)


def _rehash(db: sqlite3.Connection) -> None:
    """Recompute every entry's hash and link, as a forger who knows the format would."""
    prev = GENESIS
    rows = db.execute(
        "SELECT id, at, actor, action, document_id, field_name, old_value, new_value, state "
        "FROM audit ORDER BY id"
    ).fetchall()
    for entry_id, at, actor, action, doc, name, old, new, state in rows:
        body = canonical(
            at=dt.datetime.fromisoformat(at),
            actor=actor,
            action=action,
            document_id=doc,
            field_name=name,
            old_value=old,
            new_value=new,
            prev_hash=prev,
            state=state,
        )
        digest = hashlib.sha256(body).hexdigest()
        db.execute(
            "UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", (prev, digest, entry_id)
        )
        prev = digest


def test_a_changed_and_rehashed_chain_is_a_rewrite(home: Path) -> None:
    with _db(home) as db:
        # a value that surely differs (the first entry's may already read 'registered')
        db.execute("UPDATE audit SET actor = 'someone else' WHERE id = 1")
        _rehash(db)
    store = Store(default_url(home))
    assert verify_chain_report(store).broken is None  # it holds by itself now
    store.close()
    _assert_caught(home, {("audit_rewritten", None)}, chain=True)


def test_a_forged_row_pointing_at_another_documents_pdf(home: Path) -> None:
    victim = _documents(home)["registered"]
    with _db(home) as db:
        columns = [c[1] for c in db.execute("PRAGMA table_info(documents)")]
        values = [
            "'forged0000000001'" if c == "id" else f"'{'f' * 64}'" if c == "sha256" else c
            for c in columns
        ]
        db.execute(
            f"INSERT INTO documents ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM documents WHERE id = ?",
            (victim,),
        )
        row = db.execute("SELECT output_path FROM documents WHERE id = ?", (victim,)).fetchone()
        pdf = str(home / row[0])
    _assert_caught(home, {("id_mismatch", "forged0000000001")}, chain=False)
    done = run_digitizer(home, "verify", pdf, timeout=300)
    assert done.returncode != 0
    assert "forged0000000001" in done.stdout and "another document's PDF" in done.stdout


def test_an_edited_field_value(home: Path) -> None:
    doc = _documents(home)["registered"]
    with _db(home) as db:
        db.execute(
            "UPDATE fields SET value = 'NGUYỄN VĂN GIẢ' WHERE id = "
            "(SELECT min(id) FROM fields WHERE document_id = ?)",
            (doc,),
        )
    _assert_caught(home, {("state_mismatch", doc)}, chain=False)
    # the nightly re-read leaves it alone (an error) rather than seal the edit in
    code, summary = _run(home, "reindex", "--all")
    assert code != 0 and summary["error_documents"] == [doc]
    assert ("state_mismatch", doc) in _named(summary["check"])  # type: ignore[arg-type]


def test_a_status_flipped_to_registered(home: Path) -> None:
    doc = _documents(home)["needs_review"]
    with _db(home) as db:
        db.execute("UPDATE documents SET status = 'registered' WHERE id = ?", (doc,))
    _assert_caught(home, {("state_mismatch", doc)}, chain=False)
    # nor will a clerk's decision or the nightly re-read seal the change in
    store = Store(default_url(home))
    reviewer = Reviewer(store, load_schemas(ROOT / "schemas"), "lan", load_province_codes())
    with _db(home) as db:
        name, value = db.execute(
            "SELECT name, value FROM fields WHERE document_id = ? AND value IS NOT NULL", (doc,)
        ).fetchone()
    outcome = reviewer.accept(doc, name, value)
    store.close()
    assert not outcome.saved and "audit trail" in outcome.problems[0]


def test_a_corrupted_seal_signature(home: Path) -> None:
    head = home / "audit-seal" / "head.json"
    record_ = json.loads(head.read_text())
    signature = bytearray(base64.b64decode(record_["signature"]))
    signature[-40] ^= 0x01  # inside the RSA signature value
    record_["signature"] = base64.b64encode(bytes(signature)).decode()
    head.write_text(json.dumps(record_))
    _assert_caught(home, {("seal_invalid", None)}, chain=True)


def test_a_seal_replaced_by_an_older_one(home: Path) -> None:
    head = home / "audit-seal" / "head.json"
    older = head.read_bytes()
    store = Store(default_url(home))
    record(store, actor="lan", action="reuse", document_id=_documents(home)["registered"])
    store.close()
    sealed = run_digitizer(home, "audit", "seal", timeout=300)
    assert sealed.returncode == 0, sealed.stderr
    assert head.read_bytes() != older
    head.write_bytes(older)
    _assert_caught(home, {("seal_rollback", None)}, chain=True)


def test_a_tampered_chain_is_not_sealed_again(home: Path) -> None:
    """A run after the tampering leaves the seal as it was (the evidence), and says why."""
    seal = home / "audit-seal" / "head.json"
    before = seal.read_bytes()
    with _db(home) as db:
        db.execute("DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)")
    done = run_digitizer(home, "audit", "seal", timeout=300)
    assert done.returncode != 0
    assert "no longer holds what seal 1 sealed" in done.stderr
    assert seal.read_bytes() == before


def test_a_deleted_seal_is_missed_and_not_started_again_by_a_run(home: Path) -> None:
    """A run starts a seal only on a young chain; an older one needs a person."""
    shutil.rmtree(home / "audit-seal")
    with _db(home) as db:
        db.execute("DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)")
        db.execute("UPDATE audit SET at = '2020-01-01 00:00:00.000000'")
        _rehash(db)
    _assert_caught(home, {("seal_missing", None)}, chain=True)
    store = Store(default_url(home))
    outcome = seal_chain(store, Layout(home, ROOT), None)
    store.close()
    assert not outcome.sealed and "began on 2020-01-01" in outcome.detail


def test_new_entries_after_the_seal_are_a_warning(home: Path) -> None:
    store = Store(default_url(home))
    record(store, actor="lan", action="reuse", document_id=_documents(home)["registered"])
    store.close()
    code, report = _run(home, "check")
    assert code == 0 and report["seal"]["not_yet_sealed"] == 1  # type: ignore[index]


def test_a_watch_seals_every_few_minutes(home: Path) -> None:
    """What ``watch`` calls after each document: a seal once the interval has passed."""
    layout = Layout(home, ROOT)
    store = Store(default_url(home))
    try:
        record(store, actor="lan", action="reuse", document_id=_documents(home)["registered"])
        periodic_sealer(store, layout, None, every_s=3600)()  # too soon: not even tried
        assert verify(store, layout, [])[1].unsealed == 1
        profile = find_profile(ROOT / "scanner_profiles", "default")
        periodic_sealer(store, layout, profile, every_s=0)()
        assert verify(store, layout, [])[1].unsealed == 0
    finally:
        store.close()


def test_deleting_every_entry_and_the_seal_is_caught_and_not_sealed_again(home: Path) -> None:
    """With the chain and its seal both gone, the documents are still there: the seal is
    missing, and documents made since state entries without one are not "not tied"; a
    run does not start a fresh seal over it."""
    shutil.rmtree(home / "audit-seal")
    with _db(home) as db:
        db.execute("DELETE FROM audit")
    docs = set(_documents(home).values())
    expected = {("seal_missing", None)} | {("state_mismatch", d) for d in docs}
    _assert_caught(home, expected, chain=True)
    store = Store(default_url(home))
    outcome = seal_chain(
        store, Layout(home, ROOT), find_profile(ROOT / "scanner_profiles", "default")
    )
    store.close()
    assert not outcome.sealed and "no audit entry" in outcome.detail
    assert not (home / "audit-seal" / "head.json").exists()


def test_a_run_does_not_start_a_seal_on_a_store_with_old_documents(home: Path) -> None:
    """The first seal a run may make is a new home's: a young chain is not enough when the
    store's documents are older (the seal deleted, the chain cut to a few new entries)."""
    shutil.rmtree(home / "audit-seal")
    with _db(home) as db:
        db.execute("UPDATE documents SET created_at = '2020-01-01 00:00:00.000000'")
    store = Store(default_url(home))
    outcome = seal_chain(
        store, Layout(home, ROOT), find_profile(ROOT / "scanner_profiles", "default")
    )
    store.close()
    assert not outcome.sealed and "oldest document dates from 2020-01-01" in outcome.detail


def test_an_old_store_without_state_entries_counts_them_once(home: Path) -> None:
    """A store from before state entries and seals (its documents older than the store's
    upgrade, no entry at all, no seal): nothing is tampered, the documents are counted
    once as not tied, and the seal is missing until a person makes the first one."""
    shutil.rmtree(home / "audit-seal")
    with _db(home) as db:
        db.execute("DELETE FROM audit")
        db.execute("UPDATE documents SET created_at = '2020-01-01 00:00:00.000000'")
    code, report = _run(home, "check")
    assert code != 0 and _named(report) == {("seal_missing", None)}
    assert report["not_tied"] == 2
    sealed = run_digitizer(home, "audit", "seal", timeout=300)
    assert sealed.returncode == 0, sealed.stderr
    code, report = _run(home, "check")
    assert code == 0, report["problems"]
    assert report["not_tied"] == 2 and report["problems"] == []


# ------------------------------------------------------- a token, a timestamp, both backends


@pytest.fixture(scope="module")
def token(pki: OfficePki, tmp_path_factory: pytest.TempPathFactory) -> SoftToken:
    """A SoftHSM2 token with the office key, in a folder of its own: the program that uses
    it runs as a separate process with this SOFTHSM2_CONF (SoftHSM reads its configuration
    once per process, so this test process never loads it)."""
    return make_softhsm_token(
        tmp_path_factory.mktemp("softhsm"),
        pki.signer_key_pem,
        pki.signer_cert_der,
        label="seal-token",
        key_label="seal-signer",
        pin="4321",
    )


def _token_config(tmp_path: Path, pki: OfficePki, token: SoftToken) -> Path:
    """A configuration whose profile 'sealer' signs with the token, timestamped by the TSA."""
    config = tmp_path / "config"
    (config / "scanner_profiles").mkdir(parents=True)
    for name in ("pipelines", "schemas"):
        (config / name).symlink_to(ROOT / name)
    (config / "scanner_profiles" / "sealer.toml").write_text(
        'name = "sealer"\n[signing]\n'
        f'pkcs11_module = "{SOFTHSM_MODULE}"\ntoken_label = "{token.label}"\n'
        f'key_label = "{token.key_label}"\npin_env = "SEAL_TEST_PIN"\n'
        f'chain = ["{pki.interm_pem}"]\ntimestamp_url = "{pki.tsa_url}"\n'
        f'trust_roots = ["{pki.root_pem}"]\n',
        encoding="utf-8",
    )
    return config


def test_a_token_seals_with_a_timestamp(
    pki: OfficePki, token: SoftToken, tmp_path: Path, store_url: str
) -> None:
    """`digitizer audit seal` seals with the key on a PKCS#11 token and a TSA's timestamp,
    on SQLite and PostgreSQL; a second seal extends the first."""
    config = _token_config(tmp_path, pki, token)
    env = {"SOFTHSM2_CONF": str(token.conf), "SEAL_TEST_PIN": token.pin}
    home = tmp_path / "home"
    for n in (1, 2):
        store = Store(store_url)
        record(store, actor="lan", action="accept", document_id="d", new_value=str(n))
        store.close()
        sealed = run_digitizer(
            home,
            "audit",
            "seal",
            "--profile",
            "sealer",
            config=config,
            env_extra=env,
            db_url=store_url,
            timeout=300,
        )
        assert sealed.returncode == 0, sealed.stderr
    done = run_digitizer(
        home,
        "audit",
        "verify",
        "--json",
        "--profile",
        "sealer",
        config=config,
        env_extra=env,
        db_url=store_url,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    seal = json.loads(done.stdout)["seal"]
    assert (seal["seals"], seal["sealed_entries"], seal["not_yet_sealed"]) == (2, 2, 0), seal
    assert seal["timestamp"] and "Bộ phận một cửa" in (seal["signer"] or "")


def test_migration_0006_keeps_old_entries_verifying(store_url: str) -> None:
    """A store at revision 0005 with an entry made then: upgraded, the entry still holds
    and has no state; new entries carry one."""
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(ROOT / "digitizer" / "store" / "migrations"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
        at = dt.datetime(2025, 7, 1, 8, 0, tzinfo=dt.UTC)
        body = canonical(
            at=at,
            actor="lan",
            action="accept",
            document_id="d",
            field_name="full_name",
            old_value=None,
            new_value="AN",
            prev_hash=GENESIS,
        )
        conn.execute(
            sa.text(
                "INSERT INTO audit (at, actor, action, document_id, field_name, new_value, "
                "prev_hash, hash) VALUES (:at, 'lan', 'accept', 'd', 'full_name', 'AN', :p, :h)"
            ),
            {
                "at": at if engine.dialect.name == "postgresql" else at.replace(tzinfo=None),
                "p": GENESIS,
                "h": hashlib.sha256(body).hexdigest(),
            },
        )
    engine.dispose()
    store = Store(store_url)
    try:
        assert verify_chain_report(store).broken is None
        record(store, actor="lan", action="reuse", document_id="d")
        report = verify_chain_report(store)
        assert (report.entries, report.broken) == (2, None)
        with store.session() as s:
            states = s.execute(sa.text("SELECT state FROM audit ORDER BY id")).scalars().all()
        assert states == [None, None]  # neither entry changed a document's state
    finally:
        store.close()


def _upgraded_to(store_url: str, revision: str, entry_at: dt.datetime | None = None) -> None:
    """Bring an empty database to ``revision`` with Alembic, and add one entry with a state
    made at ``entry_at`` (as a digitizer of that revision would)."""
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(ROOT / "digitizer" / "store" / "migrations"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if entry_at is not None:
            at = entry_at if engine.dialect.name == "postgresql" else entry_at.replace(tzinfo=None)
            conn.execute(
                sa.text(
                    "INSERT INTO audit (at, actor, action, document_id, prev_hash, hash, state) "
                    "VALUES (:at, 'pipeline', 'digitize', 'd', :p, :h, :s)"
                ),
                {"at": at, "p": GENESIS, "h": "a" * 64, "s": "b" * 64},
            )
    engine.dispose()


@pytest.mark.parametrize("earlier", ["0005", "0006"])
def test_migration_0007_records_since_when_documents_have_states(
    store_url: str, earlier: str
) -> None:
    """A store that reached 0006 earlier keeps the time of its first state entry; one
    upgraded now (or new) gets now: documents created after it are never "not tied"."""
    from digitizer.store.audit_state import states_since

    first = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    _upgraded_to(store_url, earlier, first if earlier == "0006" else None)
    before = dt.datetime.now(dt.UTC)
    store = Store(store_url)
    try:
        with store.session() as s:
            since = states_since(s)
            if earlier == "0006":
                assert since == first
            else:
                assert since is not None and before - dt.timedelta(seconds=5) <= since
            s.execute(sa.text("DELETE FROM audit"))
            assert states_since(s) == since  # not taken from the entries any more
    finally:
        store.close()
