"""Lookup (ID, name, parcel, dossier, full text), reuse records, and ``reuse_of`` end to end.

Store-level tests take ``store_url`` and run on SQLite and on a real PostgreSQL server;
documents go in through ``Store.register``, the pipeline's own path, so ``value_folded`` and
the OCR words are what the pipeline would have stored.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digitizer.records import DocumentResult, FieldValue, OcrWord, PageResult
from digitizer.store import Store
from digitizer.store.audit import verify_chain
from digitizer.store.lookup import (
    LookupQuery,
    fields_of_type,
    find_document,
    record_reuse,
    search,
    sync_text_index,
)
from digitizer.store.models import AuditEntry, Dossier, ReuseEvent
from digitizer.understanding.schema import SchemaSet, load_schemas
from tests.cli import run_digitizer

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = load_schemas(ROOT / "schemas")


def _register(
    store: Store,
    doc_type: str,
    fields: dict[str, str],
    text: str,
    *,
    key: str | None = None,
    dossier_code: str | None = None,
) -> str:
    """Register a document as the pipeline does (without the scan): its id."""
    doc_id = uuid.uuid4().hex[:16]
    words = [OcrWord(w, 10 * i, 10, 9, 9, 95.0, 0, 0) for i, w in enumerate(text.split())]
    result = DocumentResult(
        source=f"/scans/{doc_id}.tif",
        sha256=uuid.uuid4().hex * 2,
        status="registered",
        document_id=doc_id,
        doc_type=doc_type,
        doc_type_confidence=1.0,
        fields={n: FieldValue(v, 0.99, "ok", 0) for n, v in fields.items()},
        pages=[PageResult(1000, 1400, 200.0, "L", 0, 0.0, 95.0, words)],
        output=f"/archive/{doc_id}.pdf",
        output_sha256="0" * 64,
        dossier_code=dossier_code,
        key_value=fields.get(key) if key else None,
    )
    store.register(result, profile="test", pdfa_level="2b", ocr_engine="t", unit_id=None)
    return doc_id


def _found(store: Store, schemas: SchemaSet = SCHEMAS, **query: str) -> set[str]:
    with store.session() as s, s.begin():
        return {h.document_id for h in search(s, schemas, LookupQuery(**query))}  # type: ignore[arg-type]


@pytest.fixture
def filled(store_url: str) -> Iterator[tuple[Store, dict[str, str]]]:
    """A store with a few documents whose fields and text overlap in the ways that matter."""
    store = Store(store_url)
    docs = {
        "birth_an": _register(
            store,
            "birth_certificate",
            {"full_name": "NGUYỄN VĂN AN", "personal_id": "024070001234"},
            "GIẤY KHAI SINH Họ, chữ đệm, tên: NGUYỄN VĂN AN Số định danh cá nhân: 024070001234",
            key="personal_id",
        ),
        "land_an": _register(
            store,
            "land_use_certificate",
            {
                "holder_name": "NGUYỄN VĂN AN",
                "holder_id": "024070001234",
                "map_sheet_number": "53",
                "parcel_number": "300",
                "land_address": "thôn Đông, xã Tân Dĩnh",
            },
            "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT Thửa đất số: 300 Tờ bản đồ số: 53 xã Tân Dĩnh",
            key="serial_number",
        ),
        "birth_anh": _register(
            store,
            "birth_certificate",
            {"full_name": "NGUYỄN VĂN ANH", "personal_id": "024070009999"},
            "GIẤY KHAI SINH NGUYỄN VĂN ANH",
        ),
        "permit": _register(
            store,
            "construction_permit",
            {"owner_name": "TRẦN THỊ BÌNH", "map_sheet_number": "53", "parcel_number": "301"},
            "GIẤY PHÉP XÂY DỰNG thửa đất số 301 tờ bản đồ số 53",
        ),
        # a name and an ID inside a non-name, non-ID field must not be found by --name / --id
        "notice": _register(
            store,
            "application_form",
            {"applicant_name": "LÊ VĂN CƯỜNG", "phone": "024070001234"},
            "ĐƠN ĐỀ NGHỊ của ông Nguyễn Văn An",
        ),
        "receipt": _register(
            store,
            "dossier_receipt",
            {"dossier_code": "000.00.24.H07-250801-0001", "applicant_name": "NGUYỄN VĂN AN"},
            "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ Mã hồ sơ: 000.00.24.H07-250801-0001",
        ),
    }
    docs["behind_receipt"] = _register(
        store,
        "application_form",
        {"applicant_name": "NGUYỄN VĂN AN", "applicant_id": "024070001234"},
        "TỜ KHAI ĐĂNG KÝ KHAI SINH",
        dossier_code="000.00.24.H07-250801-0001",
    )
    yield store, docs
    store.close()


def test_personal_id_fields_come_from_the_schemas() -> None:
    names = fields_of_type(SCHEMAS, "personal_id")
    assert {"personal_id", "holder_id", "husband_id", "wife_id", "applicant_id"} <= set(names)
    assert "phone" not in names


def test_lookup_by_personal_id_over_every_id_field(filled: tuple[Store, dict[str, str]]) -> None:
    store, d = filled
    expected = {d["birth_an"], d["land_an"], d["behind_receipt"]}
    assert _found(store, personal_id="024070001234") == expected
    assert _found(store, personal_id="024 070 001 234") == expected  # as a clerk types it
    assert _found(store, personal_id="024070000000") == set()


def test_lookup_by_name_without_diacritics(filled: tuple[Store, dict[str, str]]) -> None:
    store, d = filled
    an = {d["birth_an"], d["land_an"], d["receipt"], d["behind_receipt"]}
    assert _found(store, name="nguyen van an") == an  # not "NGUYỄN VĂN ANH", not a sentence
    assert _found(store, name="NGUYỄN  Văn An") == an
    assert _found(store, name="nguyen van") == an | {d["birth_anh"]}  # whole words from the start
    assert _found(store, name="nguyen van an*") == an | {d["birth_anh"]}  # prefix on request
    assert _found(store, name="nguyen va") == set()  # a partial word is not a word
    assert _found(store, name="tran thi binh") == {d["permit"]}


def test_lookup_by_parcel_and_dossier(filled: tuple[Store, dict[str, str]]) -> None:
    store, d = filled
    assert _found(store, map_sheet="53", parcel="300") == {d["land_an"]}
    assert _found(store, map_sheet="053", parcel="301") == {d["permit"]}
    assert _found(store, map_sheet="54", parcel="300") == set()
    assert _found(store, dossier="000.00.24.H07-250801-0001") == {
        d["receipt"],
        d["behind_receipt"],
    }


def test_full_text_over_ocr_words(filled: tuple[Store, dict[str, str]]) -> None:
    store, d = filled
    assert _found(store, text="quyen su dung dat") == {d["land_an"]}
    assert _found(store, text="QUYỀN sử dụng ĐẤT tân dĩnh") == {d["land_an"]}
    assert _found(store, text="khai sinh") == {d["birth_an"], d["birth_anh"], d["behind_receipt"]}
    assert _found(store, text="khai sinh xay dung") == set()  # every word must occur
    # a document registered after the index was built is found too
    later = _register(store, "unknown", {}, "THÔNG BÁO về việc xây dựng nông thôn mới")
    assert _found(store, text="nong thon moi") == {later}
    with store.session() as s, s.begin():
        assert sync_text_index(s) == 0  # all indexed: nothing to do


def test_criteria_combine(filled: tuple[Store, dict[str, str]]) -> None:
    store, d = filled
    assert _found(store, name="nguyen van an", doc_type="land_use_certificate") == {d["land_an"]}
    assert _found(store, name="nguyen van an", personal_id="024070001234", text="khai sinh") == {
        d["birth_an"],
        d["behind_receipt"],
    }
    with store.session() as s:
        assert len(search(s, SCHEMAS, LookupQuery(name="nguyen van", limit=2))) == 2


def test_reuse_is_recorded_once_with_an_audit_entry(filled: tuple[Store, dict[str, str]]) -> None:
    store, d = filled
    with store.session() as s, s.begin():
        dossier = s.scalars(select(Dossier)).one()  # created by the receipt
        doc = find_document(s, d["land_an"][:8])
        assert doc is not None and doc.id == d["land_an"]
        first = record_reuse(s, doc, dossier, "lan")
        again = record_reuse(s, doc, dossier, "minh")
    assert first.created and not again.created and again.event_id == first.event_id
    with store.session() as s:
        events = s.scalars(select(ReuseEvent)).all()
        assert [(e.document_id, e.actor, e.automatic) for e in events] == [
            (d["land_an"], "lan", False)
        ]
        entries = s.scalars(select(AuditEntry).where(AuditEntry.actor != "pipeline")).all()
        assert [(e.action, e.document_id, e.new_value) for e in entries] == [
            ("reuse", d["land_an"], "000.00.24.H07-250801-0001")
        ]
        assert s.scalar(select(func.count()).select_from(ReuseEvent)) == 1
    assert verify_chain(store) is None


# ---------------------------------------------------------------- the real CLI


def _with_text_chunk(src: Path, dst: Path) -> None:
    """A copy of a PNG with one more metadata chunk: same picture, another SHA-256 (a
    second scan of the same paper, as far as the store can tell)."""
    data = src.read_bytes()
    end = data.rindex(b"IEND") - 4
    body = b"Comment\x00second scan"
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    dst.write_bytes(data[:end] + chunk + data[end:])


def test_second_scan_of_a_certificate_reports_reuse_of_and_is_found(tmp_path: Path) -> None:
    """scan_0001.png is a birth certificate whose personal ID (its key) reads ``ok``."""
    home = tmp_path / "home"
    original = ROOT / "samples" / "scans" / "scan_0001.png"
    truth = json.loads(original.with_suffix(".truth.json").read_text(encoding="utf-8"))
    first_in, second_in = tmp_path / "a" / "first.png", tmp_path / "b" / "second.png"
    first_in.parent.mkdir()
    second_in.parent.mkdir()
    shutil.copy2(original, first_in)
    _with_text_chunk(original, second_in)

    first = _digitizer(home, "process", "--json", str(first_in))
    assert first.returncode == 0, first.stderr
    one = json.loads(first.stdout)
    assert one["fields"]["personal_id"]["status"] == "ok", "pick a sample whose key reads ok"
    assert one["reuse_of"] is None
    second = _digitizer(home, "process", "--json", str(second_in))
    assert second.returncode == 0, second.stderr
    two = json.loads(second.stdout)
    assert two["sha256"] != one["sha256"] and two["status"] != "duplicate"
    assert two["reuse_of"] == one["document_id"]

    pid = truth["fields"]["personal_id"]
    found = _digitizer(home, "lookup", "--json", "--id", pid)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert {h["document_id"] for h in hits} == {one["document_id"], two["document_id"]}
    assert (
        next(h for h in hits if h["document_id"] == two["document_id"])["reuse_of"]
        == (one["document_id"])
    )
    table = _digitizer(home, "lookup", "--text", f"khai sinh {pid}")  # the people's table
    assert table.returncode == 0, table.stderr
    for doc_id in (one["document_id"], two["document_id"]):
        assert doc_id in table.stdout
    assert "birth_certificate" in table.stdout and f"personal_id={pid}" in table.stdout

    # reuse needs a dossier the store knows; an unknown one is one line and exit 2
    refused = _digitizer(home, "reuse", one["document_id"], "--dossier", "000.00.24.H07-1")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "digitizer: error: unknown dossier '000.00.24.H07-1': import the one-stop-shop export "
        "(`digitizer dossiers import`) or scan its receipt first"
    ]
    csv = tmp_path / "d.csv"
    csv.write_text("dossier_code,received_date\n000.00.24.H07-1,2025-08-01\n", encoding="utf-8")
    assert _digitizer(home, "dossiers", "import", str(csv)).returncode == 0
    done = _digitizer(
        home, "reuse", one["document_id"][:10], "--dossier", "000.00.24.H07-1", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "document_id": one["document_id"],
        "dossier_code": "000.00.24.H07-1",
        "actor": "clerk1",
        "event_id": 1,
        "created": True,
    }


def _digitizer(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_digitizer(home, *args, env_extra={"USER": "clerk1"})
