"""The store on SQLite and on PostgreSQL: schema migrations on open, and the same
registrations, refusals and journal on both backends (``store_url`` runs each test twice).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from digitizer.errors import StoreError
from digitizer.records import DocumentResult, FieldValue, OcrWord, PageResult
from digitizer.store import Store
from digitizer.store.migrations import HEAD, stored_revision
from digitizer.store.models import Base, Document, Dossier, JournalEntry, ReuseEvent
from digitizer.understanding.vntext import fold
from tests.cli import run_digitizer

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "digitizer" / "store" / "migrations"

# ------------------------------------------------------------- the schema before migrations

# The tables as create_all made them before migrations existed (models of commit 7724f12),
# copied here so that the test does not depend on the migration it checks.
V1 = sa.MetaData()
_V1_UNITS = sa.Table(
    "units", V1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("parent_code", sa.String(16)),
    sa.Column("valid_from", sa.Date),
    sa.Column("valid_to", sa.Date),
    sa.UniqueConstraint("code", "level", "valid_from", name="uq_unit_code"),
)  # fmt: skip
_V1_DOCUMENTS = sa.Table(
    "documents", V1,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("source_path", sa.Text, nullable=False),
    sa.Column("source_name", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("doc_type", sa.String(64), nullable=False, index=True),
    sa.Column("doc_type_confidence", sa.Float, nullable=False),
    sa.Column("profile", sa.String(64), nullable=False),
    sa.Column("unit_id", sa.ForeignKey("units.id"), index=True),
    sa.Column("page_count", sa.Integer, nullable=False),
    sa.Column("output_path", sa.Text, nullable=False),
    sa.Column("output_sha256", sa.String(64), nullable=False),
    sa.Column("pdfa_level", sa.String(4), nullable=False),
    sa.Column("ocr_engine", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip
_V1_PAGES = sa.Table(
    "pages", V1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("document_id", sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    *(sa.Column(c, sa.Integer, nullable=False) for c in ("page_no", "width", "height")),
    sa.Column("dpi", sa.Float, nullable=False),
    sa.Column("colour_mode", sa.String(8), nullable=False),
    sa.Column("rotation", sa.Integer, nullable=False),
    sa.Column("skew_deg", sa.Float, nullable=False),
    sa.Column("ocr_confidence", sa.Float, nullable=False),
    sa.UniqueConstraint("document_id", "page_no", name="uq_page_no"),
)  # fmt: skip
_V1_WORDS = sa.Table(
    "ocr_words", V1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("page_id", sa.ForeignKey("pages.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("text", sa.String(255), nullable=False),
    *(sa.Column(c, sa.Integer, nullable=False) for c in ("left", "top", "width", "height")),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("block", sa.Integer, nullable=False),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Index("ix_ocr_words_page", "page_id", "seq"),
)  # fmt: skip
_V1_FIELDS = sa.Table(
    "fields", V1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("document_id", sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("value", sa.Text),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("page_no", sa.Integer),
    sa.UniqueConstraint("document_id", "name", name="uq_field_name"),
)  # fmt: skip
_V1_JOURNAL = sa.Table(
    "journal", V1,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sha256", sa.String(64), index=True),
    sa.Column("document_id", sa.String(32), index=True),
    sa.Column("source_path", sa.Text, nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text),
)  # fmt: skip

OLD_NAME = "NGUYỄN VĂN ĐẠT"


def _make_v1_store(url: str) -> None:
    """An old store with one registered document, two pages, words, fields and its journal."""
    engine = sa.create_engine(url)
    now = dt.datetime(2025, 5, 2, 8, 30, tzinfo=dt.UTC)
    with engine.begin() as conn:
        V1.create_all(conn)
        conn.execute(
            _V1_DOCUMENTS.insert(),
            {"id": "old1", "sha256": "a" * 64, "source_path": "/scans/old1.tif",
             "source_name": "old1.tif", "status": "registered", "doc_type": "birth_certificate",
             "doc_type_confidence": 0.9, "profile": "default", "unit_id": None,
             "page_count": 2, "output_path": "/out/old1.pdf", "output_sha256": "b" * 64,
             "pdfa_level": "2b", "ocr_engine": "tesseract 5", "created_at": now},
        )  # fmt: skip
        for page_no in (1, 2):
            page_id = conn.execute(
                _V1_PAGES.insert().returning(_V1_PAGES.c.id),
                {"document_id": "old1", "page_no": page_no, "width": 2480, "height": 3508,
                 "dpi": 300.0, "colour_mode": "grey", "rotation": 0, "skew_deg": 0.1,
                 "ocr_confidence": 91.0},
            ).scalar_one()  # fmt: skip
            conn.execute(
                _V1_WORDS.insert(),
                [{"page_id": page_id, "seq": i, "text": w, "left": 10 * i, "top": 5, "width": 9,
                  "height": 12, "confidence": 95.0, "block": 0, "line": 0}
                 for i, w in enumerate(["Họ", "và", "tên"])],
            )  # fmt: skip
        conn.execute(
            _V1_FIELDS.insert(),
            [{"document_id": "old1", "name": "full_name", "value": OLD_NAME, "confidence": 0.97,
              "status": "ok", "page_no": 0},
             {"document_id": "old1", "name": "id_number", "value": None, "confidence": 0.2,
              "status": "needs_review", "page_no": None}],
        )  # fmt: skip
        conn.execute(
            _V1_JOURNAL.insert(),
            {"at": now, "sha256": "a" * 64, "document_id": "old1",
             "source_path": "/scans/old1.tif", "event": "registered", "detail": "/out/old1.pdf"},
        )  # fmt: skip
    engine.dispose()


def _schema_differences(url: str) -> list[object]:
    """What tells the database's schema from the models' (alembic autogenerate compare)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    # tables (and their indexes) that are not models': the full-text table of lookup
    return [
        d
        for d in diffs
        if not (isinstance(d, tuple) and d[0] == "remove_table")
        and not (
            isinstance(d, tuple)
            and d[0] == "remove_index"
            and d[1].table.name not in Base.metadata.tables
        )
    ]


def _rows(store: Store, query: str) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query))]


# ----------------------------------------------------------------------------- migrations


def test_head_constant_is_the_newest_revision_file() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == HEAD
    assert [r.revision for r in script.walk_revisions()][-1] == "0001"


def test_an_empty_database_is_upgraded_to_the_models(store_url: str) -> None:
    store = Store(store_url)
    assert stored_revision(store.engine) == HEAD
    names = set(sa.inspect(store.engine).get_table_names())
    # the models, the full-text table of migration 0004 (with FTS5's own on SQLite) and
    # store_revisions of migration 0007 (read by digitizer.store.audit_state)
    expected = {t.name for t in Base.metadata.sorted_tables} | {
        "alembic_version",
        "document_text",
        "store_revisions",
    }
    assert expected <= names
    assert all(n.startswith("document_fts") for n in names - expected)
    store.close()
    assert _schema_differences(store_url) == []
    Store(store_url).close()  # opening again at head changes nothing
    assert _schema_differences(store_url) == []


def test_a_store_made_before_migrations_keeps_its_documents(store_url: str) -> None:
    _make_v1_store(store_url)
    store = Store(store_url)
    assert stored_revision(store.engine) == HEAD
    assert _schema_differences(store_url) == []
    # nothing lost (on SQLite the documents table is copied: its pages must not cascade away)
    assert _rows(store, "SELECT id, dossier_id, key_value, reuse_of FROM documents") == [
        ("old1", None, None, None)
    ]
    assert _rows(store, "SELECT COUNT(*) FROM pages") == [(2,)]
    assert _rows(store, "SELECT COUNT(*) FROM ocr_words") == [(6,)]
    assert _rows(store, "SELECT event FROM journal") == [("registered",)]
    # old fields: read by OCR, and findable without diacritics
    assert _rows(store, "SELECT name, value_folded, origin FROM fields ORDER BY name") == [
        ("full_name", "nguyen van dat", "ocr"),
        ("id_number", None, "ocr"),
    ]
    assert store.document_by_sha256("a" * 64) is not None
    # the upgraded store takes new registrations, and still enforces its foreign keys
    store.register(_result("new1", "1"), **REGISTER)
    assert _rows(store, "SELECT COUNT(*) FROM documents") == [(2,)]
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO fields (document_id, name, confidence, status, origin)"
                             " VALUES ('nobody', 'x', 1.0, 'ok', 'ocr')"))  # fmt: skip
    store.close()


def test_a_store_made_by_create_all_of_the_current_models_is_taken_as_it_is(
    store_url: str,
) -> None:
    engine = sa.create_engine(store_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    store = Store(store_url)
    assert stored_revision(store.engine) == HEAD
    store.register(_result("d1", "1"), **REGISTER)
    store.close()
    assert _schema_differences(store_url) == []


def test_empty_tables_of_an_unreleased_model_beside_old_tables_are_made_again(
    store_url: str,
) -> None:
    _make_v1_store(store_url)
    engine = sa.create_engine(store_url)
    newer = [Base.metadata.tables[name] for name in ("dossiers", "audit", "reuse_events")]
    Base.metadata.create_all(engine, tables=newer)
    engine.dispose()
    store = Store(store_url)
    assert stored_revision(store.engine) == HEAD
    store.close()
    assert _schema_differences(store_url) == []


def test_a_store_from_a_newer_digitizer_is_refused(store_url: str) -> None:
    Store(store_url).close()
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"revision 0099.*newer digitizer"):
        Store(store_url)


def test_concurrent_first_opens_migrate_once(store_url: str) -> None:
    code = "import sys; from digitizer.store import Store; Store(sys.argv[1]).close()"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, store_url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    assert _schema_differences(store_url) == []


def test_an_unreachable_store_is_one_clear_error(tmp_path: Path, pg_server_url: str) -> None:
    with pytest.raises(StoreError, match="cannot open the store at"):
        Store(f"sqlite:///{tmp_path}/no/such/folder/x.db")
    missing = sa.make_url(pg_server_url).set(database="no_such_db", password="s3cret")
    with pytest.raises(StoreError, match="no_such_db") as caught:
        Store(missing.render_as_string(hide_password=False))
    assert "s3cret" not in str(caught.value)


# ------------------------------------------------------------------- the same on both backends

REGISTER: dict[str, object] = {
    "profile": "default",
    "pdfa_level": "2b",
    "ocr_engine": "tesseract",
    "unit_id": None,
}


def _result(doc_id: str, sha_char: str, **extra: object) -> DocumentResult:
    words = [OcrWord("GIẤY", 100, 80, 120, 40, 96.0, 0, 0), OcrWord("KHAI", 230, 80, 110, 40,
             94.5, 0, 0), OcrWord("SINH", 345, 80, 105, 40, 93.0, 0, 1)]  # fmt: skip
    page = PageResult(2480, 3508, 300.0, "grey", 0, 0.3, 94.5, words)
    result = DocumentResult(
        source=f"/scans/{doc_id}.tif",
        sha256=sha_char * 64,
        status="registered",
        document_id=doc_id,
        doc_type="birth_certificate",
        doc_type_confidence=0.93,
        fields={
            "full_name": FieldValue("Trần Thị Hoà", 0.98, "ok", 0, (400, 600, 380, 42)),
            "birth_date": FieldValue("2019-03-04", 0.91, "ok", 0, None),
            "fee": FieldValue(50000, 0.4, "needs_review"),
        },
        pages=[page, PageResult(2480, 3508, 300.0, "bw", 90, -0.2, 88.0, words[:1])],
        output=f"/out/{doc_id}.pdf",
        output_sha256="f" * 64,
    )
    for key, value in extra.items():
        setattr(result, key, value)
    return result


def test_a_registered_document_reads_back_whole(store_url: str) -> None:
    store = Store(store_url)
    store.register(_result("doc1", "1", dossier_code="H12.34-250701-0001"), **REGISTER)
    doc = store.document_by_sha256("1" * 64)
    assert doc is not None and doc.id == "doc1"
    with store.session() as s:
        doc = s.get(Document, "doc1")
        assert doc is not None
        assert (doc.doc_type, doc.page_count, doc.status) == ("birth_certificate", 2, "registered")
        assert [(p.page_no, p.colour_mode, p.rotation) for p in doc.pages] == [
            (1, "grey", 0),
            (2, "bw", 90),
        ]
        fields = {f.name: f for f in doc.fields}
        name = fields["full_name"]
        assert (name.value, name.value_folded, name.origin) == ("Trần Thị Hoà", fold(name.value),
                                                                "ocr")  # fmt: skip
        assert (name.left, name.top, name.width, name.height) == (400, 600, 380, 42)
        assert (fields["fee"].value, fields["fee"].status) == ("50000", "needs_review")
        assert doc.dossier is not None and doc.dossier.code == "H12.34-250701-0001"
        assert s.scalars(sa.select(Dossier)).all() == [doc.dossier]
    assert _rows(store, "SELECT w.text FROM ocr_words w JOIN pages p ON p.id = w.page_id "
                        "ORDER BY p.page_no, w.seq") == [("GIẤY",), ("KHAI",), ("SINH",),
                                                         ("GIẤY",)]  # fmt: skip
    assert store.confirmed_documents() == [("birth_certificate", "GIẤY KHAI SINH GIẤY")]
    store.close()


def test_a_second_document_with_the_same_key_is_a_reuse(store_url: str) -> None:
    store = Store(store_url)
    store.register(_result("first", "1", key_value="012345678901"), **REGISTER)
    again = _result("again", "2", key_value="012345678901", dossier_code="D-0002")
    store.register(again, **REGISTER)
    assert again.reuse_of == "first"
    with store.session() as s:
        events = s.scalars(sa.select(ReuseEvent)).all()
        assert [(e.document_id, e.automatic, e.actor) for e in events] == [
            ("first", True, "pipeline")
        ]
    store.close()


def test_the_same_scan_is_never_registered_twice(store_url: str) -> None:
    store = Store(store_url)
    store.register(_result("doc1", "1"), **REGISTER)
    with pytest.raises(StoreError, match="already registered"):
        store.register(_result("doc1", "1"), **REGISTER)
    with pytest.raises(StoreError, match="already registered"):  # same content, new id
        store.register(_result("doc2", "1"), **REGISTER)
    assert _rows(store, "SELECT id FROM documents") == [("doc1",)]
    assert _rows(store, "SELECT COUNT(*) FROM pages") == [(2,)]
    assert _rows(store, "SELECT COUNT(*) FROM journal") == [(1,)]
    store.close()


def test_the_journal_keeps_every_event_in_order(store_url: str) -> None:
    store = Store(store_url)
    store.journal(source="/scans/a.tif", event_name="failed", sha256="c" * 64,
                  detail="truncated TIFF")  # fmt: skip
    store.register(_result("doc1", "1"), **REGISTER)
    store.journal(source="/scans/doc1.tif", event_name="duplicate", sha256="1" * 64,
                  document_id="doc1")  # fmt: skip
    with store.session() as s:
        entries = s.scalars(sa.select(JournalEntry).order_by(JournalEntry.id)).all()
        assert [(e.event, e.document_id, e.detail) for e in entries] == [
            ("failed", None, "truncated TIFF"),
            ("registered", "doc1", "/out/doc1.pdf"),
            ("duplicate", "doc1", None),
        ]
        assert all(e.at is not None for e in entries)
    store.close()


def test_the_cli_registers_into_postgresql(tmp_path: Path, pg_url: str) -> None:
    scan = next(p for p in sorted((ROOT / "samples" / "scans").iterdir()) if p.suffix == ".tif")
    proc = run_digitizer(
        tmp_path / "home", "process", "--json", "--workers", "1", str(scan), db_url=pg_url
    )
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "home" / "digitizer.db").exists()
    store = Store(pg_url)
    assert _rows(store, "SELECT source_name FROM documents") == [(scan.name,)]
    store.close()
