"""Learning label wordings from clerks' corrections, on a real store (SQLite and PostgreSQL).

Documents are registered as the pipeline registers them, with OCR words laid out as a
birth certificate whose name label ("Tên khai sinh") no schema lists; they are read by the
same :class:`~digitizer.learning.LearningUnderstander` the pipeline's workers use, and
corrected through the real :class:`~digitizer.review.Reviewer`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from digitizer import cli
from digitizer.config import Layout
from digitizer.learning import LearningUnderstander, StoreVariants
from digitizer.records import DocumentResult, OcrWord, PageResult
from digitizer.reindex import ReindexDefinition, run
from digitizer.review import Reviewer
from digitizer.store import Store, learned_labels
from digitizer.store.audit import verify_chain
from digitizer.store.models import AuditEntry, Field
from digitizer.understanding.schema import load_schemas
from digitizer.understanding.understand import Understander, Understanding
from digitizer.understanding.validate import load_province_codes
from digitizer.understanding.variants import LearnedVariant, learn_label, refusal

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = load_schemas(ROOT / "schemas")
PROVINCES = load_province_codes()
TODAY = dt.date(2025, 9, 1)
UNSEEN = "Người được đăng ký"  # a wording of full_name that no schema lists


def _page(lines: Sequence[str]) -> list[OcrWord]:
    """OCR words of a page, one line each, at a scan's sizes (two spaces: a column gap)."""
    words: list[OcrWord] = []
    for number, line in enumerate(lines):
        left = 150
        for text in line.split(" "):
            if not text:
                left += 60
                continue
            words.append(
                OcrWord(text, left, 100 + 70 * number, 22 * len(text), 40, 96.0, 1, number)
            )
            left += 22 * len(text) + 18
    return words


def _certificate(
    name: str, *, label: str = UNSEEN, father: bool = True, extra: Sequence[str] = ()
) -> list[list[OcrWord]]:
    lines = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "GIẤY KHAI SINH",
        "Số: 125/2022",
        f"{label}: {name}",
        "Ngày, tháng, năm sinh: 30/01/2022",
        "Giới tính: Nam",
        "Số định danh cá nhân: 024222001234",
        "Họ, chữ đệm, tên người mẹ: TRẦN THỊ BÌNH",
        *(["Họ, chữ đệm, tên người cha: NGUYỄN VĂN CƯỜNG"] if father else []),
        *extra,
        "Bắc Giang, ngày 05 tháng 02 năm 2022",
    ]
    return [_page(lines)]


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store(store_url)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def base() -> Understander:
    return Understander(SCHEMAS, PROVINCES, today=TODAY)


def _reader(base: Understander, url: str, unit: str = "") -> LearningUnderstander:
    """What a pipeline worker reads with: the office's labels, asked of the store."""
    return LearningUnderstander(base, unit_code=unit, source=StoreVariants(url, unit))


def _register(
    store: Store,
    doc_id: str,
    pages: list[list[OcrWord]],
    found: Understanding,
    *,
    unit_id: int | None = None,
    confirmed: dict[str, str] | None = None,
) -> None:
    """Register a document as the pipeline does; ``confirmed``: registered with these
    values, all ``ok`` (a document a clerk finished)."""
    fields = dict(found.fields)
    status = "needs_review" if found.needs_review else "registered"
    if confirmed is not None:
        fields = {n: f for n, f in fields.items() if n in confirmed}
        status = "registered"
    result = DocumentResult(
        source=f"/scans/{doc_id}.tif",
        sha256=hashlib.sha256(doc_id.encode()).hexdigest(),
        status=status,  # type: ignore[arg-type]
        document_id=doc_id,
        doc_type=found.doc_type,
        doc_type_confidence=found.doc_type_confidence,
        fields=fields,
        pages=[PageResult(1654, 2339, 200.0, "bw", 0, 0.0, 92.0, words) for words in pages],
        output=f"/archive/{doc_id}.pdf",
        output_sha256="0" * 64,
        schema_version=SCHEMAS.get(found.doc_type).version,  # type: ignore[union-attr]
    )
    store.register(result, profile="default", pdfa_level="2b", ocr_engine="test", unit_id=unit_id)
    if confirmed is not None:
        with store.session() as s, s.begin():
            for row in s.scalars(select(Field).where(Field.document_id == doc_id)):
                row.value, row.status = confirmed[row.name], "ok"


def _reviewer(store: Store) -> Reviewer:
    return Reviewer(store, SCHEMAS, "clerk-lan", PROVINCES, today=TODAY)


def _cli(store_url: str, home: Path, *args: str) -> tuple[int, str, str]:
    env = {"DIGITIZER_DB_URL": store_url, "DIGITIZER_HOME": str(home)}
    done = CliRunner().invoke(cli.app, ["--config", str(ROOT), *args], env=env)
    return done.exit_code, done.stdout, done.stderr


def test_a_correction_teaches_a_label_that_reads_the_next_documents_until_forgotten(
    store: Store, store_url: str, base: Understander, tmp_path: Path
) -> None:
    reader = _reader(base, store_url)
    first = _certificate("NGUYỄN VĂN AN")
    found = reader.understand(first)
    assert found.doc_type == "birth_certificate" and "full_name" not in found.fields
    _register(store, "first00000000000", first, found)
    # a document of the same wording registered before the lesson: tonight's reindex
    older = _certificate("ĐỖ THỊ MAI")
    _register(store, "older00000000000", older, reader.understand(older))

    outcome = _reviewer(store).correct("first00000000000", "full_name", "Nguyễn Văn An", None)
    assert outcome.saved and outcome.value == "NGUYỄN VĂN AN"
    assert outcome.lesson is not None and outcome.lesson.label == UNSEEN, outcome.lesson
    label_id = outcome.lesson.label_id
    assert label_id is not None

    # the next document with that wording gets the field, at once, in the same reader
    next_pages = _certificate("LÊ VĂN DŨNG")
    next_found = reader.understand(next_pages)
    fresh = next_found.fields["full_name"]
    assert fresh.value == "LÊ VĂN DŨNG"
    assert fresh.confidence < 0.96  # below what a schema's label gives the same words
    _register(store, "next000000000000", next_pages, next_found)
    # another office did not learn it
    other = _reader(base, store_url, unit="07432").understand(_certificate("LÊ VĂN DŨNG"))
    assert "full_name" not in other.fields

    code, out, _ = _cli(store_url, tmp_path, "schemas", "learned", "--json")
    assert code == 0
    listed = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["doc_type"], r["field"], r["label"], r["taught_by"]) for r in listed] == [
        (label_id, "birth_certificate", "full_name", UNSEEN, "clerk-lan")
    ]
    assert listed[0]["seen_since"] == 1  # the next document, not the older one
    code, table, _ = _cli(store_url, tmp_path, "schemas", "learned", "--type", "birth_certificate")
    assert code == 0 and UNSEEN in table and "clerk-lan" in table

    # the nightly reindex reads the older document with it, once
    definition = ReindexDefinition(
        ROOT / "pipelines" / "reindex.toml", "", ("reextract",), 50, "default"
    )
    layout = Layout(home=tmp_path / "home", config_root=ROOT)
    summary = run(store, layout, SCHEMAS, definition)
    assert summary.errors == 0 and summary.examined >= 1
    assert _value(store, "older00000000000", "full_name") == "ĐỖ THỊ MAI"
    assert run(store, layout, SCHEMAS, definition).examined == 0

    code, out, err = _cli(
        store_url, tmp_path, "schemas", "forget", str(label_id), "--clerk", "it-minh"
    )
    assert code == 0, err
    assert "full_name" not in reader.understand(_certificate("LÊ VĂN DŨNG")).fields
    code, out, _ = _cli(store_url, tmp_path, "schemas", "learned", "--json")
    assert code == 0 and out.strip() == ""
    code, _, err = _cli(store_url, tmp_path, "schemas", "forget", str(label_id), "--clerk", "x")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "no learned label" in err

    with store.session() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action.like("%_label"))))
    assert [(e.action, e.actor, e.field_name) for e in entries] == [
        ("learn_label", "clerk-lan", "full_name"),
        ("forget_label", "it-minh", "full_name"),
    ]
    assert UNSEEN in (entries[0].new_value or "") and UNSEEN in (entries[1].old_value or "")
    assert verify_chain(store) is None
    # forgotten, the older document is read again without it (a clerk's value stays)
    run(store, layout, SCHEMAS, definition)
    assert _value(store, "older00000000000", "full_name") is None
    assert _value(store, "first00000000000", "full_name") == "NGUYỄN VĂN AN"
    # and the same words are not learned again from the next correction
    again = _certificate("PHAN VĂN TÚ")
    _register(store, "again00000000000", again, reader.understand(again))
    lesson = _reviewer(store).correct("again00000000000", "full_name", "PHAN VĂN TÚ", None).lesson
    assert lesson is not None and lesson.label is None
    assert any("forgotten by it-minh" in r for r in lesson.reasons)


def _value(store: Store, doc_id: str, name: str) -> str | None:
    with store.session() as s:
        return s.scalar(select(Field.value).where(Field.document_id == doc_id, Field.name == name))


def test_a_label_that_would_change_a_confirmed_document_is_refused(
    store: Store, store_url: str, base: Understander
) -> None:
    """On this document the father asked for the extract, so his name stands after
    "Người yêu cầu"; on a confirmed one the mother did, and the father is not named: the
    words would give that document a wrong father, auto-accepted."""
    reader = _reader(base, store_url)
    requester = "Người yêu cầu: TRẦN THỊ BÌNH"
    confirmed = _certificate("LÊ THỊ HOA", label="Họ và tên", father=False, extra=[requester])
    values = {
        "full_name": "LÊ THỊ HOA",
        "date_of_birth": "2022-01-30",
        "gender": "male",
        "personal_id": "024222001234",
        "mother_name": "TRẦN THỊ BÌNH",
        "registration_number": "125/2022",
        "registration_date": "2022-02-05",
    }
    _register(store, "conf000000000000", confirmed, reader.understand(confirmed), confirmed=values)
    pages = _certificate(
        "VŨ VĂN NAM", label="Họ và tên", father=False, extra=["Người yêu cầu: NGUYỄN VĂN CƯỜNG"]
    )
    _register(store, "asked00000000000", pages, reader.understand(pages))

    outcome = _reviewer(store).correct("asked00000000000", "father_name", "NGUYỄN VĂN CƯỜNG", None)
    assert outcome.saved  # the clerk's value is saved all the same
    assert outcome.lesson is not None and outcome.lesson.label is None
    assert any("conf000000000000" in r and "confirmed" in r for r in outcome.lesson.reasons)
    with store.session() as s:
        assert learned_labels.active(s) == []
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "learn_label")) is None


@pytest.mark.parametrize(
    ("label", "field", "why"),
    [
        ("Số", "registration_number", "too short"),
        ("Họ và tên", "full_name", "already a label"),
        ("Nơi cư trú", "mother_name", "every form shares"),
        ("Họ, chữ đệm, tên người cha", "mother_name", "label of father_name"),
        ("Mã số 12", "personal_id", "digits"),
        ("Ghi", "full_name", "too short"),
        ("GIẤY KHAI SINH", "full_name", "upper-case"),
    ],
)
def test_words_that_cannot_be_a_reliable_label_are_refused(
    label: str, field: str, why: str
) -> None:
    schema = SCHEMAS.get("birth_certificate")
    assert schema is not None
    problem = refusal(label, schema, schema.field(field), SCHEMAS.stop_labels)
    assert problem is not None and why in problem, problem


def test_a_label_on_the_line_above_or_after_numbering_is_learned_without_the_numbering() -> None:
    pages = [
        _page(
            [
                "GIẤY KHAI SINH",
                "Số: 125/2022",
                "3. Thân mẫu:",
                "TRẦN THỊ BÌNH",
                "a) Thân phụ: NGUYỄN VĂN CƯỜNG",
            ]
        )
    ]
    mother = learn_label(pages, SCHEMAS, "birth_certificate", "mother_name", "TRẦN THỊ BÌNH")
    assert (mother.label, mother.placement) == ("Thân mẫu", "above")
    father = learn_label(pages, SCHEMAS, "birth_certificate", "father_name", "NGUYỄN VĂN CƯỜNG")
    assert (father.label, father.placement) == ("Thân phụ", "line")
    learned = [
        LearnedVariant(1, "", "birth_certificate", "mother_name", "Thân mẫu"),
        LearnedVariant(2, "", "birth_certificate", "father_name", "Thân phụ"),
    ]
    reader = LearningUnderstander(Understander(SCHEMAS, PROVINCES, today=TODAY), learned)
    found = reader.understand(pages)
    assert found.fields["mother_name"].value == "TRẦN THỊ BÌNH"
    assert found.fields["father_name"].value == "NGUYỄN VĂN CƯỜNG"
    # a value nowhere on the page teaches nothing
    missing = learn_label(pages, SCHEMAS, "birth_certificate", "full_name", "PHAN VĂN TÚ")
    assert missing.label is None and "not among the page's words" in missing.reasons[0]


def test_words_like_a_listed_label_are_learned_when_extraction_does_not_read_them() -> None:
    """ "Mã định danh cá nhân" is close to the listed "Số định danh cá nhân" but is not read
    as it; and in "Nam hay nữ: Nữ" the "nữ" before the colon is the label's, not the value."""
    pages = [
        _page(
            [
                "GIẤY KHAI SINH",
                "Họ và tên: NGUYỄN THỊ AN",
                "Nam hay nữ: Nữ",
                "Mã định danh cá nhân: 024322001234",
            ]
        )
    ]
    found = Understander(SCHEMAS, PROVINCES, today=TODAY).understand(pages)
    assert "personal_id" not in found.fields and "gender" not in found.fields
    pid = learn_label(pages, SCHEMAS, "birth_certificate", "personal_id", "024322001234")
    assert pid.label == "Mã định danh cá nhân", pid
    gender = learn_label(pages, SCHEMAS, "birth_certificate", "gender", "female")
    assert (gender.label, gender.placement) == ("Nam hay nữ", "line"), gender
    known = learn_label(pages, SCHEMAS, "birth_certificate", "full_name", "NGUYỄN THỊ AN")
    assert known.label is None and "read as a label of full_name already" in known.reasons[0]
