"""`digitizer reindex` on documents the real pipeline registered.

Two committed scans (a birth and a marriage certificate) are processed once by
`digitizer process`; each test works on its own copy of that home. A schema's version is
bumped in a copy of the config folder, and only that type's documents must be read again,
a clerk's correction must survive, and a second run must find nothing to do.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from digitizer.records import DocumentResult, FieldValue, PageResult
from digitizer.reindex import ReindexDefinition, Reindexer, ReindexSummary, stored_words
from digitizer.review.actions import Reviewer
from digitizer.review.queue import load_document
from digitizer.store import Store, default_url
from digitizer.store.models import Document, Field
from digitizer.understanding.schema import load_schemas
from digitizer.understanding.validate import load_province_codes
from tests.cli import run_digitizer

ROOT = Path(__file__).resolve().parent.parent
SCANS = ROOT / "samples" / "scans"
SAMPLES = ("scan_0001.png", "scan_0002.jpg")  # birth_certificate, marriage_certificate
BUMPED = "birth_certificate"


def digitizer(
    home: Path, *args: str, config: Path = ROOT, check: bool = False
) -> subprocess.CompletedProcess[str]:
    done = run_digitizer(home, *args, config=config)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def copy_home(source: Path, target: Path) -> Path:
    """A copy of a processed home (its records name their PDFs relative to the home, so the
    copy's records point at the copy's own archive)."""
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home where `digitizer process` registered the two samples."""
    inbox = tmp_path_factory.mktemp("scans")
    for name in SAMPLES:
        shutil.copy2(SCANS / name, inbox / name)
    home = tmp_path_factory.mktemp("processed") / "home"
    done = digitizer(home, "process", "--json", "--workers", "2", str(inbox), check=True)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert sorted(r["doc_type"] for r in rows) == ["birth_certificate", "marriage_certificate"]
    return home


@pytest.fixture
def home(processed: Path, tmp_path: Path) -> Path:
    return copy_home(processed, tmp_path / "home")


def bumped_config(tmp_path: Path, doc_type: str = BUMPED) -> Path:
    """A config folder like the checkout's, with ``doc_type``'s schema one version on."""
    config = tmp_path / "config"
    config.mkdir()
    for name in ("pipelines", "scanner_profiles"):
        (config / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "schemas", config / "schemas")
    path = config / "schemas" / f"{doc_type}.toml"
    text = path.read_text(encoding="utf-8")
    version = int(re.search(r"^version = (\d+)$", text, re.M).group(1))  # type: ignore[union-attr]
    path.write_text(text.replace(f"version = {version}", f"version = {version + 1}", 1), "utf-8")
    return config


def documents(home: Path) -> dict[str, Document]:
    store = Store(default_url(home))
    with store.session() as s:
        docs = {d.doc_type: d for d in s.query(Document)}
        for d in docs.values():
            _ = list(d.fields)  # loaded while the session is open
    store.close()
    return docs


def reindex(home: Path, config: Path, *extra: str) -> dict[str, object]:
    done = digitizer(home, "reindex", "--json", *extra, config=config)
    assert done.returncode == 0, done.stderr + done.stdout
    data: dict[str, object] = json.loads(done.stdout)
    return data


def test_registration_records_schema_versions_and_nothing_is_stale(home: Path) -> None:
    schemas = load_schemas(ROOT / "schemas")
    docs = documents(home)
    for doc_type, doc in docs.items():
        assert doc.schema_version == schemas.get(doc_type).version  # type: ignore[union-attr]
    summary = reindex(home, ROOT)
    assert summary["examined"] == 0 and summary["errors"] == 0
    assert summary["check"]["ok"] is True  # type: ignore[index]
    assert summary["rates"] is not None and summary["text_indexed"] == 2


def test_bumped_schema_rereads_only_its_documents_and_keeps_the_clerk(
    home: Path, tmp_path: Path
) -> None:
    config = bumped_config(tmp_path)
    schemas = load_schemas(config / "schemas")
    store = Store(default_url(home))
    birth = documents(home)[BUMPED]
    reviewer = Reviewer(store, schemas, "clerk-test", load_province_codes())
    corrected = "TRẦN VĂN AN"
    full_name = next(f for f in birth.fields if f.name == "full_name")
    assert corrected != full_name.value
    outcome = reviewer.correct(birth.id, "full_name", corrected, full_name.value)
    assert outcome.saved, outcome.problems
    with store.session() as s:  # a clerk settles whatever else waits for review
        waiting = load_document(s, schemas, birth.id)
        assert waiting is not None
        for item in waiting.items:
            assert not item.missing, item
            assert reviewer.accept(birth.id, item.name, item.value).saved
    store.close()
    before = documents(home)
    assert before[BUMPED].status == "registered"
    clerk_fields = {f.name: f.value for f in before[BUMPED].fields if f.origin == "clerk"}
    assert clerk_fields["full_name"] == corrected

    first = reindex(home, config)
    assert first["examined"] == 1 and first["errors"] == 0  # the marriage one is current
    assert first["kept_clerk_values"] == len(clerk_fields)
    after = documents(home)
    assert after[BUMPED].schema_version == schemas.get(BUMPED).version  # type: ignore[union-attr]
    assert after[BUMPED].status == "registered"
    kept = {f.name: (f.value, f.origin) for f in after[BUMPED].fields}
    for name, value in clerk_fields.items():
        assert kept[name] == (value, "clerk")
    assert (
        after["marriage_certificate"].schema_version
        == before["marriage_certificate"].schema_version
    )

    second = reindex(home, config)
    assert second["examined"] == 0 and second["changed"] == 0
    everything = reindex(home, config, "--all")
    assert everything["examined"] == 2 and everything["changed"] == 0
    again = documents(home)
    assert {f.name: (f.value, f.origin, f.status) for f in again[BUMPED].fields} == {
        f.name: (f.value, f.origin, f.status) for f in after[BUMPED].fields
    }


def test_a_bad_definition_is_one_line(home: Path, tmp_path: Path) -> None:
    config = bumped_config(tmp_path)
    (config / "pipelines").unlink()
    (config / "pipelines").mkdir()
    (config / "pipelines" / "reindex.toml").write_text('steps = ["reextract", "ocr"]\n')
    done = digitizer(home, "reindex", config=config)
    assert done.returncode != 0
    assert "unknown step 'ocr'" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def _copy_of(doc: Document, n: int) -> DocumentResult:
    """A registration of a stored document's words under a fresh id (no OCR)."""
    return DocumentResult(
        source=f"/copies/{n}.png",
        sha256=f"{n:064x}",
        status="registered",
        document_id=f"copy{n:012d}",
        doc_type=doc.doc_type,
        fields={f.name: FieldValue(f.value, f.confidence, "ok") for f in doc.fields},  # type: ignore[arg-type]
        pages=[],
        output=doc.output_path,
        output_sha256=doc.output_sha256,
        schema_version=None,
    )


def test_store_level_reindex_on_both_backends(processed: Path, store_url: str) -> None:
    """Documents copied word for word into a fresh store (SQLite and PostgreSQL), registered
    without a schema version, are all re-read once and then left alone."""
    source = Store(default_url(processed))
    with source.session() as s:
        docs = list(s.query(Document))
        pages: dict[str, list[PageResult]] = {}
        for doc in docs:
            _ = list(doc.fields)
            pages[doc.id] = []
            for page, words in zip(doc.pages, stored_words(s, [doc.id])[doc.id], strict=True):
                pages[doc.id].append(
                    PageResult(page.width, page.height, page.dpi, "L", 0, 0.0, 70.0, words)
                )
    source.close()
    store = Store(store_url)
    for n, doc in enumerate(docs):
        result = _copy_of(doc, n)
        result.pages = pages[doc.id]
        store.register(result, profile="default", pdfa_level="2b", ocr_engine="t", unit_id=None)
    schemas = load_schemas(ROOT / "schemas")
    definition = ReindexDefinition(ROOT, "", ("reextract",), 1, "default")
    assert definition.batch_size == 1  # one document per transaction: resumable at each
    summary = ReindexSummary()
    Reindexer(store, schemas, None).reextract(summary, everything=False, batch_size=1)
    assert summary.examined == len(docs) and summary.errors == 0
    with store.session() as s:
        stored = {d.doc_type: d for d in s.query(Document)}
        for doc_type, doc in stored.items():
            assert doc.schema_version == schemas.get(doc_type).version  # type: ignore[union-attr]
            assert s.query(Field).filter(Field.document_id == doc.id).count() > 0
    again = ReindexSummary()
    Reindexer(store, schemas, None).reextract(again, everything=False, batch_size=1)
    assert again.examined == 0
    store.close()
