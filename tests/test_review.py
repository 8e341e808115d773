"""`digitizer review`: the queue, the field checks, the saved decisions and their audit
entries — and the real program driven at a real terminal (tmux) on really processed scans."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import pty
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from PIL import Image
from rich.console import Console
from sqlalchemy import select
from typer.testing import CliRunner

from digitizer import cli
from digitizer.records import DocumentResult, FieldValue, PageResult
from digitizer.review import Checked, Reviewer, check_value, graphics, load_document, queue
from digitizer.review.crop import Region, region_with_margin
from digitizer.review.keys import Keyboard
from digitizer.review.queue import PageSize
from digitizer.review.session import ReviewSession
from digitizer.store import Store, audit
from digitizer.store.audit import verify_chain
from digitizer.store.models import AuditEntry, Document, Field, ReuseEvent
from digitizer.understanding.schema import SchemaSet, load_schemas
from digitizer.understanding.validate import load_province_codes
from tests.cli import run_digitizer as _digitizer

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = load_schemas(ROOT / "schemas")
PROVINCES = load_province_codes()
TODAY = dt.date(2025, 9, 1)


# ----------------------------------------------------------------------------- the checks


def _check(doc_type: str, name: str, raw: str, settled: dict[str, str] | None = None) -> Checked:
    schema = SCHEMAS.get(doc_type)
    assert schema is not None
    return check_value(
        schema, schema.field(name), raw, settled or {}, province_codes=PROVINCES, today=TODAY
    )


def test_a_typed_value_is_normalized_as_the_pipeline_does() -> None:
    assert _check("birth_certificate", "full_name", "  bà phạm   ngọc trang ").value == (
        "PHẠM NGỌC TRANG"
    )
    assert _check("birth_certificate", "date_of_birth", "ngày 30 tháng 1 năm 2022").value == (
        "2022-01-30"
    )
    assert _check("land_use_certificate", "area_m2", "1.171,9 m²").value == "1171.9"
    assert _check("land_use_certificate", "serial_number", "CS 123456").ok


@pytest.mark.parametrize(
    ("doc_type", "name", "raw", "reason"),
    [
        ("birth_certificate", "full_name", "N9UYEN 123", "no digits"),
        ("birth_certificate", "date_of_birth", "31/02/2020", "date"),
        ("birth_certificate", "date_of_birth", "01/01/2030", "after today"),
        ("birth_certificate", "registration_number", "12/20244", "expected form"),
        ("land_use_certificate", "serial_number", "CS 12345", "expected form"),
        ("birth_certificate", "personal_id", "99912345678", "12 digits"),
        ("birth_certificate", "personal_id", "999322189951", "province code"),
    ],
)
def test_a_value_against_the_fields_rules_is_refused(
    doc_type: str, name: str, raw: str, reason: str
) -> None:
    checked = _check(doc_type, name, raw)
    assert not checked.ok and checked.value is None
    assert any(reason in p for p in checked.problems), checked.problems


def test_a_personal_id_must_agree_with_the_settled_birth_date_and_gender() -> None:
    settled = {"date_of_birth": "2022-01-30", "gender": "female"}
    assert _check("birth_certificate", "personal_id", "030322189951", settled).ok
    male = _check("birth_certificate", "personal_id", "030222189951", settled)
    assert any("male person" in p for p in male.problems)
    born_2021 = _check("birth_certificate", "personal_id", "030321189951", settled)
    assert any("born in 2021" in p for p in born_2021.problems)
    # the other way round: a date of birth against a settled personal ID
    with_id = {"personal_id": "030322189951", "gender": "female"}
    assert _check("birth_certificate", "date_of_birth", "30/01/2022", with_id).ok
    wrong = _check("birth_certificate", "date_of_birth", "30/01/2021", with_id)
    assert any("(personal_id)" in p for p in wrong.problems)
    # the marriage certificate names the wife's gender in the schema itself
    assert not _check(
        "marriage_certificate", "wife_id", "030094001234", {"wife_date_of_birth": "1994-03-02"}
    ).ok
    # an unsettled (still uncertain) date of birth does not block the ID
    assert _check("birth_certificate", "personal_id", "030322189951", {}).ok


# ----------------------------------------------------------------------------- decisions


def _register(
    store: Store,
    doc_id: str,
    fields: dict[str, FieldValue],
    *,
    at: int,
    doc_type: str = "birth_certificate",
    unit_id: int | None = None,
    dossier_code: str | None = None,
    key_value: str | None = None,
) -> None:
    """A processed document as the pipeline registers it (no OCR needed for the store)."""
    result = DocumentResult(
        source=f"/scans/{doc_id}.tif",
        sha256=hashlib.sha256(doc_id.encode()).hexdigest(),
        status="needs_review",
        document_id=doc_id,
        doc_type=doc_type,
        doc_type_confidence=0.97,
        fields=fields,
        pages=[PageResult(1654, 2339, 200.0, "bw", 0, 0.0, 92.0, [])],
        output=f"/archive/{doc_id}.pdf",
        output_sha256="0" * 64,
        dossier_code=dossier_code,
        key_value=key_value,
    )
    store.register(result, profile="default", pdfa_level="2b", ocr_engine="test", unit_id=unit_id)
    with store.session() as s, s.begin():  # created_at decides the queue's order
        doc = s.get(Document, doc_id)
        assert doc is not None
        doc.created_at = dt.datetime(2025, 8, at, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def review_store(store_url: str) -> Iterator[Store]:
    store = Store(store_url)
    ok: Literal["ok"] = "ok"
    doubt: Literal["needs_review"] = "needs_review"
    _register(
        store,
        "newer00000000000",
        {"full_name": FieldValue("TRẦN VĂN BA", 0.6, doubt, 0, (300, 500, 400, 40))},
        at=20,
        unit_id=store.ensure_unit("10714", "Thị trấn Gia Lộc"),
    )
    _register(
        store,
        "older00000000000",
        {
            "full_name": FieldValue("PHẠM NGỌC TRANG", 0.76, doubt, 0, (667, 618, 358, 32)),
            "date_of_birth": FieldValue("2022-01-30", 0.95, ok, 0, (700, 700, 200, 30)),
            "gender": FieldValue("female", 0.95, ok, 0, (500, 760, 80, 30)),
            "personal_id": FieldValue("030322189951", 0.7, doubt, 0, (900, 1000, 300, 30)),
            # registration_number (required) was not read at all
        },
        at=10,
    )
    yield store
    store.close()


def _reviewer(store: Store, schemas: SchemaSet = SCHEMAS) -> Reviewer:
    return Reviewer(store, schemas, "clerk-lan", PROVINCES, today=TODAY)


def _audit(store: Store) -> list[tuple[str, str | None, str | None, str | None]]:
    """The entries clerks made (each registration's own ``digitize`` entry left out)."""
    with store.session() as s:
        rows = s.scalars(
            select(AuditEntry).where(AuditEntry.actor != "pipeline").order_by(AuditEntry.id)
        )
        return [(e.action, e.field_name, e.old_value, e.new_value) for e in rows]


def test_the_queue_is_oldest_first_with_uncertain_and_missing_fields(review_store: Store) -> None:
    assert queue(review_store) == ["older00000000000", "newer00000000000"]
    assert queue(review_store, doc_type="death_certificate") == []
    assert queue(review_store, unit="99999") == []
    assert queue(review_store, unit="10714") == ["newer00000000000"]
    assert queue(review_store, doc_type="birth_certificate", unit="10714") == ["newer00000000000"]
    with review_store.session() as s:
        doc = load_document(s, SCHEMAS, "older00000000000")
    assert doc is not None
    items = [(i.name, i.missing, i.value) for i in doc.items]
    assert items == [
        ("full_name", False, "PHẠM NGỌC TRANG"),
        ("personal_id", False, "030322189951"),
        ("registration_number", True, None),
    ]
    assert doc.items[0].box == (667, 618, 358, 32) and doc.items[0].page_no == 0


def test_decisions_are_saved_audited_and_finish_the_document(review_store: Store) -> None:
    reviewer = _reviewer(review_store)
    doc_id = "older00000000000"
    refused = reviewer.correct(doc_id, "registration_number", "04/20222", None)
    assert not refused.saved and refused.problems
    assert _audit(review_store) == []  # a refused value saves nothing
    stale = reviewer.accept(doc_id, "full_name", "PHẠM NGỌC TRANH")  # not what is stored
    assert not stale.saved and "meanwhile" in stale.problems[0]

    assert reviewer.accept(doc_id, "full_name", "PHẠM NGỌC TRANG").saved
    assert reviewer.correct(doc_id, "registration_number", " 04 / 2022 ", None).value == "04/2022"
    last = reviewer.accept(doc_id, "personal_id", "030322189951")
    assert last.saved and last.registered

    with review_store.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.status == "registered"
        assert doc.key_value == "030322189951"  # the schema's key, now certain
        fields = {f.name: f for f in s.scalars(select(Field).where(Field.document_id == doc_id))}
    number = fields["registration_number"]
    assert (number.value, number.status, number.origin, number.confidence) == (
        "04/2022",
        "ok",
        "clerk",
        1.0,
    )
    assert fields["full_name"].value_folded == "pham ngoc trang"
    assert fields["gender"].origin == "ocr"  # untouched
    assert _audit(review_store) == [
        ("accept", "full_name", "PHẠM NGỌC TRANG", "PHẠM NGỌC TRANG"),
        ("correct", "registration_number", None, "04/2022"),
        ("accept", "personal_id", "030322189951", "030322189951"),
        ("register", None, None, None),
    ]
    assert verify_chain(review_store) is None
    assert queue(review_store) == ["newer00000000000"]


def test_audit_commands_mask_personal_ids_unless_asked(
    review_store: Store, store_url: str, tmp_path: Path
) -> None:
    reviewer = _reviewer(review_store)
    assert reviewer.accept("older00000000000", "personal_id", "030322189951").saved
    env = {"DIGITIZER_DB_URL": store_url, "DIGITIZER_HOME": str(tmp_path)}
    runner = CliRunner()
    shown = runner.invoke(cli.app, ["audit", "show", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    entry = json.loads(shown.stdout.splitlines()[-1])  # after the two registrations
    assert (entry["action"], entry["new_value"]) == ("accept", "030*******51")
    revealed = runner.invoke(cli.app, ["audit", "show", "--json", "--reveal"], env=env)
    assert json.loads(revealed.stdout.splitlines()[-1])["new_value"] == "030322189951"
    other = runner.invoke(cli.app, ["audit", "show", "--json", "--document", "nothing"], env=env)
    assert other.exit_code == 0 and other.stdout == ""
    unsealed = runner.invoke(cli.app, ["audit", "verify", "--json"], env=env)
    assert unsealed.exit_code == 1  # this home holds no seal of the chain
    assert json.loads(unsealed.stdout)["problems"][0]["problem"] == "seal_missing"
    assert runner.invoke(cli.app, ["keys", "init"], env=env).exit_code == 0
    assert runner.invoke(cli.app, ["audit", "seal"], env=env).exit_code == 0
    verified = runner.invoke(cli.app, ["audit", "verify", "--json"], env=env)
    assert verified.exit_code == 0
    assert json.loads(verified.stdout)["entries"] == 3


def test_a_corrected_key_links_the_re_scan_to_the_earlier_document(store_url: str) -> None:
    """The key (here the personal ID) misread at registration hid a re-scan; corrected in
    review, the document points at the earlier one and its dossier counts as reusing it;
    corrected again to another ID, both are undone."""
    store = Store(store_url)
    ok: Literal["ok"] = "ok"
    doubt: Literal["needs_review"] = "needs_review"
    first = {"personal_id": FieldValue("030322189951", 0.97, ok)}
    _register(store, "first00000000000", first, at=3, key_value="030322189951")
    _register(
        store,
        "again00000000000",
        {"personal_id": FieldValue("030322189957", 0.5, doubt)},
        at=9,
        dossier_code="000.00.24.H07-250809-0001",
    )

    def state() -> tuple[str | None, bool, list[tuple[str, bool]]]:
        with store.session() as s:
            doc = s.get(Document, "again00000000000")
            assert doc is not None and doc.dossier is not None
            events = [(e.document_id, e.automatic) for e in s.scalars(select(ReuseEvent))]
            return doc.reuse_of, doc.dossier.reused, events

    try:
        assert state() == (None, False, [])
        reviewer = _reviewer(store)
        assert reviewer.correct(
            "again00000000000", "personal_id", "030322189951", "030322189957"
        ).saved
        assert state() == ("first00000000000", True, [("first00000000000", True)])
        assert reviewer.correct(
            "again00000000000", "personal_id", "030322189958", "030322189951"
        ).saved
        assert state() == (None, False, [])
    finally:
        store.close()


def test_correcting_the_earlier_documents_key_relinks_the_later_one(store_url: str) -> None:
    """The other direction: the *earlier* document's key was misread, so a later re-scan
    matched nothing; corrected, the later one points at it (and its dossier reused it);
    corrected to another ID, the link and the event are undone."""
    store = Store(store_url)
    ok: Literal["ok"] = "ok"
    doubt: Literal["needs_review"] = "needs_review"
    _register(
        store, "older00000000000", {"personal_id": FieldValue("030322189957", 0.5, doubt)}, at=3
    )
    newer = {"personal_id": FieldValue("030322189951", 0.97, ok)}
    _register(
        store,
        "newer00000000000",
        newer,
        at=9,
        dossier_code="000.00.24.H07-250809-0002",
        key_value="030322189951",
    )

    def newer_state() -> tuple[str | None, bool]:
        with store.session() as s:
            doc = s.get(Document, "newer00000000000")
            assert doc is not None and doc.dossier is not None
            return doc.reuse_of, doc.dossier.reused

    try:
        assert newer_state() == (None, False)
        reviewer = _reviewer(store)
        assert reviewer.correct(
            "older00000000000", "personal_id", "030322189951", "030322189957"
        ).saved
        assert newer_state() == ("older00000000000", True)
        assert reviewer.correct(
            "older00000000000", "personal_id", "030322189958", "030322189951"
        ).saved
        assert newer_state() == (None, False)
    finally:
        store.close()


def test_an_accepted_value_must_pass_the_rules_too(review_store: Store) -> None:
    """The pipeline flagged it; a clerk's accept does not make a wrong value ok."""
    reviewer = _reviewer(review_store)
    with review_store.session() as s, s.begin():
        row = s.scalars(
            select(Field).where(
                Field.document_id == "older00000000000", Field.name == "personal_id"
            )
        ).one()
        row.value = "030222189951"  # a male person's ID on a girl's certificate
        doc = s.get(Document, "older00000000000")
        assert doc is not None  # recorded as the pipeline records what it read
        state = audit.document_state_digest(s, doc)
        audit.append(s, actor="pipeline", action="digitize", document_id=doc.id, state=state)
    outcome = reviewer.accept("older00000000000", "personal_id", "030222189951")
    assert not outcome.saved
    assert any("male person" in p for p in outcome.problems)
    assert _audit(review_store) == []
    fixed = reviewer.correct("older00000000000", "personal_id", "030322189951", "030222189951")
    assert fixed.saved


def test_a_scripted_session_skips_goes_back_and_quits(review_store: Store, tmp_path: Path) -> None:
    """The keyboard loop read line by line (as from a script): every key and its effect."""
    _register(review_store, "unknown000000000", {}, at=5, doc_type="unknown")
    script = "\n".join(
        [
            "a",  # the unknown document: nothing to review, register it
            "s",  # full_name: skip
            "b",  # back to full_name
            "x",  # not a key: the help line
            "",  # Enter: accept full_name
            "a",  # personal_id: accept
            "c",  # registration_number: correct...
            "12/20244",  # ...refused
            "c",
            "12/2024",  # ...saved: the document is registered
            "q",  # quit at the next document
        ]
    )
    out = io.StringIO()
    session = ReviewSession(
        _reviewer(review_store),
        Keyboard(io.StringIO(script + "\n"), out),
        Console(file=out, width=120),
        tmp_path,
        images="file",
    )
    summary = session.run()
    text = out.getvalue()
    assert (summary.accepted, summary.corrected, summary.refused, summary.skipped) == (2, 1, 1, 1)
    assert summary.registered == ["unknown000000000", "older00000000000"]
    assert "refused: the value does not have the expected form" in text
    assert text.count("field 1/3 of older00000000000: full_name") == 2  # shown, then back
    assert "field 1/3 of newer00000000000: full_name" in text  # reached, then quit
    assert queue(review_store) == ["newer00000000000"]
    assert [a for a, *_ in _audit(review_store)] == [
        "register",
        "accept",
        "accept",
        "correct",
        "register",
    ]
    assert not list((tmp_path / "review").glob("*/*.png"))  # no crop left behind


# ----------------------------------------------------------------------------- images


def test_the_crop_keeps_the_label_side_and_stays_on_the_page() -> None:
    page = PageSize(1654, 2339, 200.0)
    region = region_with_margin((667, 618, 358, 32), page)
    assert region.left == 667 - 320 and region.top == 618 - 50
    assert region.left + region.width == 667 + 358 + 80
    assert region_with_margin((10, 5, 1640, 30), page) == Region(0, 0, 1654, 85)


def _decode_sixel(data: str) -> dict[tuple[int, int], tuple[int, int, int]]:
    """A small sixel reader: pixel -> colour (percent RGB), to check the encoder."""
    body = data[data.index('"') :].split("\x1b\\")[0]
    body = re.sub(r'^"[\d;]*', "", body)
    colours: dict[int, tuple[int, int, int]] = {}
    pixels: dict[tuple[int, int], tuple[int, int, int]] = {}
    x = band = current = 0
    for token in re.finditer(r"#(\d+)(?:;2;(\d+);(\d+);(\d+))?|!(\d+)(.)|([?-~])|(\$)|(-)", body):
        if token.group(1) is not None:
            current = int(token.group(1))
            if token.group(2) is not None:
                colours[current] = (int(token.group(2)), int(token.group(3)), int(token.group(4)))
            continue
        if token.group(8):
            x = 0
            continue
        if token.group(9):
            x, band = 0, band + 1
            continue
        count, ch = (int(token.group(5)), token.group(6)) if token.group(5) else (1, token.group(7))
        bits = ord(ch) - 63
        for _ in range(count):
            for row in range(6):
                if bits >> row & 1:
                    pixels[(x, band * 6 + row)] = colours[current]
            x += 1
    return pixels


def test_sixel_encoding_reads_back_as_the_image() -> None:
    image = Image.new("RGB", (20, 9), (255, 255, 255))
    for x in range(3, 17):
        image.putpixel((x, 4), (0, 0, 0))  # a black stroke
    image.putpixel((0, 8), (255, 0, 0))  # a red dot in the second band
    pixels = _decode_sixel(graphics.sixel(image, max_width=100))
    assert len(pixels) == 20 * 9
    assert {pixels[(x, 4)] for x in range(3, 17)} == {(0, 0, 0)}
    assert pixels[(0, 8)] == (100, 0, 0)
    assert pixels[(2, 4)] == pixels[(19, 0)] == (100, 100, 100)


def test_inline_protocols_are_told_by_the_environment() -> None:
    assert graphics.detect({"TERM": "xterm-kitty"}, None) == graphics.KITTY
    assert graphics.detect({"TERM_PROGRAM": "iTerm.app", "TERM": "xterm"}, None) == "iterm"
    assert graphics.detect({"TERM": "foot"}, None) == graphics.SIXEL
    assert graphics.detect({"TERM": "xterm-256color"}, None) is None
    # inside tmux the outer terminal's variables do not hold
    assert graphics.detect({"TERM": "tmux-256color", "KITTY_WINDOW_ID": "1"}, None) is None
    chunks = graphics.kitty(Image.new("L", (400, 300), 128), 40)
    assert chunks.startswith("\x1b_Ga=T,f=100,q=2,c=40,m=") and chunks.endswith("\x1b\\\n")


@pytest.mark.parametrize(("answer", "sixel"), [(b"\x1b[?62;4;22c", True), (b"\x1b[?1;2c", False)])
def test_a_terminal_is_asked_whether_it_draws_sixel(answer: bytes, sixel: bool) -> None:
    """A pseudo-terminal plays the terminal: it answers the device-attributes query."""
    master, slave = pty.openpty()
    asked = bytearray()

    def terminal() -> None:
        while not asked.endswith(b"\x1b[c"):
            asked.extend(os.read(master, 16))
        os.write(master, answer)

    thread = threading.Thread(target=terminal, daemon=True)
    thread.start()
    try:
        found = graphics.detect({"TERM": "xterm-256color"}, slave)
    finally:
        thread.join(timeout=5)
        os.close(slave)
        os.close(master)
    assert found == (graphics.SIXEL if sixel else None)
    assert asked == b"\x1b[c"


# ----------------------------------------------------------------------------- the real program

_INVALID = {
    "name": "N9UYEN 123",
    "date": "31/02/2020",
    "personal_id": "12345",
    "code": "???",
    "number": "many",
    "area": "big",
    "money": "lots",
    "phone": "call me",
    "gender": "maybe",
}


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A home with a really processed scan that needs review, and that scan's truth."""
    scans = tmp_path_factory.mktemp("scans")
    generate = ("samples.generate", "--preset", "bench", "--count", "12", "--seed", "80")
    made = subprocess.run(
        [sys.executable, "-m", *generate, "--out", str(scans)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert made.returncode == 0, made.stderr
    home = tmp_path_factory.mktemp("home")
    # the first one-page birth certificate the pipeline is not sure of (doubtful names)
    for truth_file in sorted(scans.glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        if truth["doc_type"] != "birth_certificate" or len(truth["pages"]) != 1:
            continue
        scan = next(scans.glob(truth_file.name.replace(".truth.json", ".*[!n]")))
        proc = _digitizer(home, "process", "--json", "--workers", "1", str(scan))
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout.splitlines()[0])
        if result["status"] == "needs_review":
            return home, {"document_id": result["document_id"], **truth}
    pytest.fail("no birth certificate of the generated set needs review: pick another seed")


class Pane:
    """A program in a tmux pane of its own server, driven by keys, read from the screen."""

    def __init__(self, command: str, cwd: Path, socket: Path) -> None:
        self.socket = str(socket)
        self._tmux("new-session", "-d", "-s", "review", "-x", "200", "-y", "50", "-c", str(cwd))
        self._tmux("set-option", "-t", "review", "history-limit", "10000")
        self._tmux("send-keys", "-t", "review", command, "Enter")

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def text(self) -> str:
        return self._tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "review")

    def wait_for(self, pattern: str, count: int = 1) -> str:
        """Wait until ``pattern`` is on the screen ``count`` times (the program's pace is not
        what is tested: the limit is generous)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            screen = self.text()
            if len(re.findall(pattern, screen)) >= count:
                return screen
            time.sleep(0.2)
        pytest.fail(f"never saw {pattern!r} x{count}; the screen:\n{self.text()}")

    def keys(self, *keys: str, literal: bool = False) -> None:
        self._tmux("send-keys", "-t", "review", *(["-l"] if literal else []), *keys)

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, timeout=30)


def _typed(spec_type: str, value: str) -> str:
    """How a clerk would type the right value: names in lower case, dates as printed."""
    if spec_type == "name":
        return value.lower()
    if spec_type == "date":
        day = dt.date.fromisoformat(value)
        return f"{day.day}/{day.month}/{day.year}"
    return value


_CLERKS = "actor != 'pipeline'"  # the entries clerks made, not the registration's own


def _db(home: Path, query: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "digitizer.db") as db:
        return list(db.execute(query, args))


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_clerk_reviews_a_real_document_at_the_terminal(
    processed: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    home, truth = processed
    doc_id = str(truth["document_id"])
    expected: dict[str, str] = {k: str(v) for k, v in dict(truth["fields"]).items()}  # type: ignore[call-overload]
    store = Store(f"sqlite:///{home / 'digitizer.db'}")
    with store.session() as s:
        doc = load_document(s, SCHEMAS, doc_id)
    store.close()
    assert doc is not None and doc.items
    items = doc.items
    first = next(i for i in items if i.spec is not None and i.spec.type in _INVALID)

    command = (
        f"env -u DISPLAY -u WAYLAND_DISPLAY -u DIGITIZER_DB_URL DIGITIZER_HOME={home} "
        f"LANG=C.UTF-8 OMP_THREAD_LIMIT=1 {sys.executable} -m digitizer --config {ROOT} "
        f"review --clerk clerk-lan; echo review-exited-$?"
    )
    pane = Pane(command, ROOT, tmp_path / "tmux.sock")
    try:
        for n, item in enumerate(items, start=1):
            assert item.spec is not None
            pane.wait_for(rf"field {n}/{len(items)} of {doc_id}: {item.name} ")
            if item is first:
                # the image of the field, cut from the signed PDF, as a PNG file
                screen = pane.wait_for(r"image: \S+\.png")
                crop = Image.open(re.findall(r"image: (\S+\.png)", screen)[-1])
                assert item.box is not None
                assert crop.width > item.box[2] and crop.height > item.box[3]
                # a value against the field's rules: refused, nothing saved
                pane.keys("c")
                pane.wait_for(f"new value for {item.name}:")
                pane.keys(_INVALID[item.spec.type], literal=True)
                pane.keys("Enter")
                pane.wait_for("refused:")
                assert _db(home, f"select count(*) from audit where {_CLERKS}") == [(0,)]
                assert _db(
                    home,
                    "select value, status from fields where document_id = ? and name = ?",
                    doc_id,
                    item.name,
                ) == [(item.value, "needs_review")]
                # the right value, typed as a clerk types it: normalized and saved
                pane.keys("c")
                pane.wait_for(f"new value for {item.name}:", count=2)
                pane.keys(_typed(item.spec.type, expected[item.name]), literal=True)
                pane.keys("Enter")
                pane.wait_for(f"saved {item.name} = ")
                assert _db(
                    home, f"select action, field_name, new_value from audit where {_CLERKS}"
                ) == [("correct", item.name, expected[item.name])]
                continue
            if n == 2:  # back to the first field, seen as saved; Enter comes back here
                pane.keys("b")
                pane.wait_for("saved in this session")
                pane.keys("Enter")
                pane.wait_for(rf"field {n}/{len(items)} of {doc_id}: {item.name} ", count=2)
            if item.value == expected[item.name]:
                pane.keys("a" if n % 2 else "Enter")
            else:
                pane.keys("c")
                pane.wait_for(f"new value for {item.name}:")
                pane.keys(_typed(item.spec.type, expected[item.name]), literal=True)
                pane.keys("Enter")
            pane.wait_for(f"saved {item.name} = ")
        screen = pane.wait_for(r"review-exited-\d")
        assert "review-exited-0" in screen
        assert f"document {doc_id} is registered" in screen
    finally:
        pane.close()

    assert _db(home, "select status from documents where id = ?", doc_id) == [("registered",)]
    for item in items:
        assert _db(
            home,
            "select value, status, origin, confidence from fields "
            "where document_id = ? and name = ?",
            doc_id,
            item.name,
        ) == [(expected[item.name], "ok", "clerk", 1.0)]
    actions = [a for (a,) in _db(home, f"select action from audit where {_CLERKS} order by id")]
    # one per field (the first corrected), one for the registration
    assert actions[0] == "correct" and actions[-1] == "register"
    assert len(actions) == len(items) + 1 and set(actions[1:-1]) <= {"accept", "correct"}
    assert not (home / "review" / doc_id).exists()  # the crops (personal data) are gone

    verified = _digitizer(home, "audit", "verify", "--json")
    assert verified.returncode == 0, verified.stderr
    head = _db(home, "select hash from audit order by id desc limit 1")[0][0]
    result = json.loads(verified.stdout)
    assert {k: result[k] for k in ("ok", "entries", "head", "broken")} == {
        "ok": True,
        "entries": len(actions) + 1,  # and the registration's own entry
        "head": head,
        "broken": None,
    }
    assert result["seal"]["not_yet_sealed"] == 0  # the session sealed what it did

    # someone edits the database behind the program's back
    target = _db(home, "select id from audit order by id")[1][0]
    with sqlite3.connect(home / "digitizer.db") as db:
        db.execute("update audit set new_value = 'NGUYỄN VĂN KHÁC' where id = ?", (target,))
    tampered = _digitizer(home, "audit", "verify")
    assert tampered.returncode == 1
    assert f"broken at entry {target}: its content does not match" in tampered.stderr
