"""Quick checks of the synthetic scan generator (samples/): truth schema, determinism,
page geometry, that personal IDs agree with the birth dates on the same document, that
administrative documents follow Decree 30/2020, and that adding them left the other
documents as they were."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from samples import admin_text
from samples.generate import (
    DOC_TYPES,
    bench_extra_kind,
    generate_one,
    plan_document,
    truth_json,
    truth_of,
)
from samples.layout import (
    EXTRA_FONT_FILES,
    FAMILIES,
    FONT_FILES,
    find_font_file,
    page_size_px,
)
from samples.wordings import UNSEEN
from tests.domain_fields import DOMAIN_FIELDS

ADMIN_FIELDS = DOMAIN_FIELDS["administrative_document"]
FIELDS = {**DOMAIN_FIELDS, "unknown": set()}
# IDs left out when the document prints an archival 9-digit CMND instead; the parts of an
# administrative document that only some have.
OPTIONAL = {
    "holder_id",
    "personal_id",
    "parent_authority",
    "signer_authority_line",
    "urgency",
}
# Kind (as printed) -> its abbreviation in the document's symbol; a công văn has none.
KIND_ABBR = {k.title or "CÔNG VĂN": k.abbr for k in admin_text.KINDS}
ID_PROVINCES = {
    "001",
    "024",
    "042",
    "079",
    "040",
    "038",
    "027",
    "030",
    "048",
    "031",
    "033",
    "034",
    "036",
    "037",
    "022",
    "019",
    "026",
    "035",
    "046",
    "052",
}
N_PLANS = 120


@pytest.fixture(scope="module")
def plans() -> list[dict[str, Any]]:
    """Truth records of the first documents of a bench seed (layout only, no pixels)."""
    return [truth_of(*plan_document(5, "bench", i)[:3]) for i in range(N_PLANS)]


def _is_nfc_single_spaced(s: str) -> bool:
    return unicodedata.normalize("NFC", s) == s and " ".join(s.split()) == s


def test_truth_schema(plans: list[dict[str, Any]]) -> None:
    seen = set()
    for t in plans:
        admin = t["doc_type"] == "administrative_document"
        head = ["doc_type", "fields", "handwritten"] if admin else ["doc_type", "fields"]
        assert list(t) == [*head, "format", "dpi", "colour", "font", "pages"]
        assert t["doc_type"] in DOC_TYPES
        seen.add(t["doc_type"])
        fields = t["fields"]
        assert set(fields) <= FIELDS[t["doc_type"]]
        assert FIELDS[t["doc_type"]] - set(fields) <= OPTIONAL
        assert t["format"] in {"tiff-g4", "tiff-lzw", "tiff-jpeg", "jpeg", "png", "pdf"}
        assert t["dpi"] in ((100, 200, 300) if admin else (200, 300))
        assert t["colour"] in ("colour", "grey", "bw")
        assert t["font"] in FAMILIES
        if t["format"] == "tiff-g4":
            assert t["colour"] == "bw"
        if t["format"] in ("jpeg", "png"):
            assert len(t["pages"]) == 1
        for name, value in fields.items():
            if name.endswith("_name") and name not in (
                "procedure_name",
                "business_name",
                "signer_name",  # an official's name under the signature, printed mixed case
            ):
                assert value == value.upper() and _is_nfc_single_spaced(value)
                assert not value.startswith(("ÔNG ", "BÀ "))
            if name.endswith("date") or "date_of" in name:
                dt.date.fromisoformat(value)
            if name.endswith("_id"):
                assert re.fullmatch(r"\d{12}", value)
            if name.endswith("_m2"):
                assert isinstance(value, float)
            if name in ("capital_vnd", "floors"):
                assert isinstance(value, int)
            if name == "gender":
                assert value in ("male", "female")
            if name == "phone":
                assert re.fullmatch(r"0\d{9}", value)
            if name == "serial_number":
                assert re.fullmatch(r"[A-ZĐ]{2} \d{6}", value)
            if isinstance(value, str):
                assert _is_nfc_single_spaced(value)
        assert t["pages"]
        for p in t["pages"]:
            assert set(p) <= {"lines", "rotation", "skew_deg", "qr"}
            assert p["rotation"] in (0, 90, 180, 270)
            assert isinstance(p["skew_deg"], float) and -10 <= p["skew_deg"] <= 10
            assert all(isinstance(x, str) and x and _is_nfc_single_spaced(x) for x in p["lines"])
        if t["doc_type"] == "land_use_certificate":
            assert 2 <= len(t["pages"]) <= 4
    assert seen == set(DOC_TYPES)


def test_printed_values_are_in_the_lines(plans: list[dict[str, Any]]) -> None:
    """Text-valued fields are printed verbatim (wrapping only breaks at spaces)."""
    for t in plans:
        text = " ".join(line for p in t["pages"] for line in p["lines"])
        for name, value in t["fields"].items():
            if name.endswith(("_name", "_number", "_code", "address", "purpose")) and isinstance(
                value, str
            ):
                assert value in text, (name, value)


def test_ids_agree_with_birth_dates(plans: list[dict[str, Any]]) -> None:
    pairs = {
        "personal_id": ("date_of_birth", "gender"),
        "husband_id": ("husband_date_of_birth", "male"),
        "wife_id": ("wife_date_of_birth", "female"),
        "applicant_id": ("applicant_date_of_birth", None),
    }
    checked = 0
    for t in plans:
        f = t["fields"]
        for id_field, (dob_field, gender) in pairs.items():
            if id_field not in f or dob_field not in f:  # receipts print no birth date
                continue
            pid, dob = f[id_field], dt.date.fromisoformat(f[dob_field])
            assert pid[:3] in ID_PROVINCES
            digit = int(pid[3])
            assert digit // 2 == (0 if dob.year < 2000 else 1)
            assert pid[4:6] == f"{dob.year % 100:02d}"
            sex = f.get("gender") if gender == "gender" else gender
            if sex is not None:
                assert digit % 2 == (0 if sex == "male" else 1)
            checked += 1
    assert checked > 20


def test_dossier_code_and_qr(plans: list[dict[str, Any]]) -> None:
    receipts = [t for t in plans if t["doc_type"] == "dossier_receipt"]
    assert receipts
    for t in receipts:
        code, received = (
            t["fields"]["dossier_code"],
            dt.date.fromisoformat(t["fields"]["received_date"]),
        )
        assert re.fullmatch(r"000\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4}", code)
        assert code.split("-")[1] == received.strftime("%y%m%d")
        assert t["pages"][0]["qr"] == code
        assert t["fields"]["appointment_date"] > t["fields"]["received_date"]
    for t in plans:
        if t["doc_type"] == "land_use_certificate" and t["fields"]["issue_date"] >= "2024-08-01":
            assert t["pages"][0]["qr"] == t["fields"]["serial_number"]


def test_truth_is_deterministic(tmp_path: Path) -> None:
    for i in range(3):
        a = truth_json(truth_of(*plan_document(42, "bench", i)[:3]))
        b = truth_json(truth_of(*plan_document(42, "bench", i)[:3]))
        assert a == b
    assert truth_json(truth_of(*plan_document(42, "bench", 0)[:3])) != truth_json(
        truth_of(*plan_document(43, "bench", 0)[:3])
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    generate_one(tmp_path / "a", 42, "demo", 8)
    generate_one(tmp_path / "b", 42, "demo", 8)
    name = "scan_0009.truth.json"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def _first_clean(seed: int, dpi: int) -> int:
    for i in range(300):
        _, plan, layouts, _ = plan_document(seed, "bench", i)
        if (
            plan.dpi == dpi
            and len(layouts) == 1
            and plan.rotations == (0,)
            and plan.skews == (0.0,)
            and plan.fmt in ("png", "tiff-lzw", "tiff-g4")
        ):
            return i
    raise AssertionError("no clean page found")


@pytest.mark.parametrize("dpi", [200, 300])
def test_clean_upright_page_is_a4_at_dpi(tmp_path: Path, dpi: int) -> None:
    index = _first_clean(3, dpi)
    scan, pages, _ = generate_one(tmp_path, 3, "bench", index)
    assert pages == 1
    truth = json.loads((tmp_path / f"{scan.stem}.truth.json").read_text(encoding="utf-8"))
    assert truth["dpi"] == dpi
    with Image.open(scan) as im:
        assert im.size == page_size_px(dpi)
        assert round(im.info["dpi"][0]) == dpi
    assert page_size_px(300) == (2480, 3508)


def test_fonts_cover_the_printed_text(plans: list[dict[str, Any]]) -> None:
    """Every character of the truth exists in the document's font (no tofu boxes)."""
    cmaps = {
        fam: set(TTFont(find_font_file(files[0]), lazy=True).getBestCmap())
        for fam, files in FONT_FILES.items()
    }
    for t in plans:
        chars = {ord(c) for p in t["pages"] for line in p["lines"] for c in line} - {32}
        assert chars <= cmaps[t["font"]], (t["font"], {chr(c) for c in chars - cmaps[t["font"]]})


# ----------------------------------------------------------------------------- administrative


@pytest.fixture(scope="module")
def admin_plans() -> list[dict[str, Any]]:
    """Truth records of the administrative documents among the first bench documents."""
    return [
        truth_of(*plan_document(seed, "bench", i)[:3])
        for seed in (5, 6, 7)
        for i in range(150)
        if bench_extra_kind(seed, "bench", i) == "administrative_document"
    ]


def test_administrative_documents_follow_decree_30(admin_plans: list[dict[str, Any]]) -> None:
    assert len(admin_plans) >= 15
    kinds, hands = set(), set()
    for t in admin_plans:
        f = t["fields"]
        assert ADMIN_FIELDS - OPTIONAL <= set(f) <= ADMIN_FIELDS
        kinds.add(f["document_kind"])
        # number, "/", the kind's abbreviation, "-", the issuer's (a công văn: no kind)
        m = re.fullmatch(r"(\d{2,4})/([A-ZĐ][A-Za-zĐ]*)(?:-([A-ZĐ]+))?", f["number"])
        assert m, f["number"]
        abbr = KIND_ABBR[f["document_kind"]]
        if abbr:
            assert m.group(2) == abbr and m.group(3), f["number"]
        else:
            assert m.group(2) not in KIND_ABBR.values(), f["number"]
            assert f["summary"].startswith("V/v ")
        first = t["pages"][0]["lines"]
        head = f"{f['parent_authority']} " if "parent_authority" in f else ""
        assert " ".join(first[:4]).startswith(head + f["issuing_authority"])
        assert f"Số: {f['number']}" in first
        # Decree 30 date: day < 10 and months 1 and 2 with a leading zero (a hand may drop
        # the day's zero)
        issued = dt.date.fromisoformat(f["issue_date"])
        month = f"{issued.month:02d}" if issued.month < 3 else str(issued.month)
        days = {f"{issued.day:02d}"}
        if "issue_date" in t["handwritten"]:
            days.add(str(issued.day))
        assert any(f"{f['place']}, ngày {d} tháng {month} năm {issued.year}" in first for d in days)
        assert set(t["handwritten"]) <= {"number", "issue_date"}
        hands.add(tuple(t["handwritten"]))
        text = " ".join(line for p in t["pages"] for line in p["lines"])
        signer = [f.get("signer_authority_line"), f["signer_position"], f["signer_name"]]
        assert " ".join(s for s in signer if s) in text
        assert f["signer_name"] != f["signer_name"].upper()
        assert "Nơi nhận:" in text
        items = f["recipients"].split("; ")
        assert items[-1].startswith("Lưu: VT")
        for item in items:
            assert f"- {item}" in text
        if "urgency" in f:
            assert f["urgency"] in admin_text.URGENCY and f["urgency"] in first
    assert len(kinds) >= 5 and "CÔNG VĂN" in kinds and "QUYẾT ĐỊNH" in kinds
    assert ("number", "issue_date") in hands


def test_administrative_document_scanned_at_100_dpi(tmp_path: Path) -> None:
    """A colour scan at 100 dpi: A4 size (crooked on the bed), with the red seal on it."""
    index = next(
        i
        for i in range(400)
        if bench_extra_kind(5, "bench", i)
        and (plan := plan_document(5, "bench", i)[1]).dpi == 100
        and plan.colour == "colour"
        and plan.fmt != "pdf"
    )
    scan, _, _ = generate_one(tmp_path, 5, "bench", index)
    truth = json.loads((tmp_path / f"{scan.stem}.truth.json").read_text(encoding="utf-8"))
    assert truth["doc_type"] == "administrative_document" and truth["dpi"] == 100
    with Image.open(scan) as im:
        assert round(im.info["dpi"][0]) == 100
        w, h = sorted(im.size)
        a4w, a4h = page_size_px(100)
        assert a4w <= w < a4w * 1.2 and a4h <= h < a4h * 1.2
        im.seek(getattr(im, "n_frames", 1) - 1)  # the signature is on the last page
        rgb = np.asarray(im.convert("RGB")).astype(np.int16)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    assert ((r - g > 60) & (r - b > 50)).sum() > 400  # the red seal


def _strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, tuple | list):
        return [s for x in obj for s in _strings(x)]
    if dataclasses.is_dataclass(obj):
        return [s for f in dataclasses.fields(obj) for s in _strings(getattr(obj, f.name))]
    return []


def _digest(seed: int, preset: str, index: int) -> str:
    """A document's content (type, fields, scan plan, every printed string in order), free
    of font metrics so it holds on any machine."""
    doc, plan, _, _ = plan_document(seed, preset, index)
    record = [doc.doc_type, doc.fields, doc.style.family, plan.fmt, plan.dpi, plan.colour,
              plan.rotations, plan.skews, _strings(doc.pages)]  # fmt: skip
    return hashlib.sha256(json.dumps(record, ensure_ascii=False).encode()).hexdigest()[:10]


# Taken before administrative documents and unseen wordings were added to the generator.
DIGESTS_BEFORE = {
    ("demo", 0): "ea76499d0c 03ceacad18 d73e9a89f9 967b09f2a8 dce4e42120 0059f5efd4 "
    "f9b9b6889d a59a3991a1 6db094f0a7 848a1a6e0a b2554e2fbd 5530b30ce2",
    ("bench", 5): "bd6654dd80 3dce18ff71 4495d21aa2 6d10257a26 9379b2f65a eea5babeea "
    "66dd938e5f e5535eebcf d30afcf7e8 0097237648 63ba71931f 10a1d8ae0c 7f98f9c8f0 8c83202632 "
    "c061b60596 f9d0ce665d 466dd0b6aa 145a818919 c1e811db60 0669e50018 719c8fd46c 67928d1895 "
    "ae343fa51e 5e5df054ac",
}


def test_existing_documents_are_unchanged() -> None:
    """Every document of the earlier kinds is what it was (a bench document may instead have
    become an administrative one); the demo set kept its first twelve."""
    replaced = 0
    for (preset, seed), digests in DIGESTS_BEFORE.items():
        for i, before in enumerate(digests.split()):
            if bench_extra_kind(seed, preset, i) and preset == "bench":
                replaced += 1
                continue
            doc = plan_document(seed, preset, i)[0]
            if doc.doc_type == "administrative_document":  # a commune notice: its truth
                assert doc.fields["document_kind"] in ("THÔNG BÁO", "GIẤY MỜI")  # is new
                continue
            assert _digest(seed, preset, i) == before, (preset, seed, i)
    assert 0 < replaced < 8


# ----------------------------------------------------------------------------- unseen wordings


def _schema_labels() -> set[str]:
    """Every label and section label the schemas list, normalised for comparison."""
    out: set[str] = set()
    for path in (Path(__file__).resolve().parent.parent / "schemas").glob("*.toml"):
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
        for field in spec.get("fields", []):
            for key in ("labels", "section_labels"):
                out |= {_norm(x) for x in field.get(key, [])}
        for section in spec.get("sections", []):
            out |= {_norm(x) for x in section.get("headings", [])}
    return out


@functools.cache
def _cmap(font_file: str) -> set[int]:
    return set(TTFont(find_font_file(font_file), lazy=True).getBestCmap())


def _norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s).casefold().split())


def test_unseen_wordings_are_in_no_schema() -> None:
    """The unseen wordings are not listed by any schema (a wording a schema takes up must
    leave samples/wordings.py, or the benchmark stops measuring generalization)."""
    listed = _schema_labels()
    for doc_type, table in UNSEEN.items():
        assert doc_type in DOMAIN_FIELDS
        for field, labels in table.items():
            for label in labels:
                assert _norm(label) not in listed, (doc_type, field, label)


def test_unseen_wordings_keep_the_values(plans: list[dict[str, Any]]) -> None:
    """Same documents, same values; the known types print unseen labels in other fonts."""
    listed = _schema_labels()
    relabelled, moved = 0, 0
    for i, schema in enumerate(plans[:60]):
        t = truth_of(*plan_document(5, "bench", i, "unseen")[:3])
        assert t["doc_type"] == schema["doc_type"] and t["fields"] == schema["fields"]
        assert (t["format"], t["dpi"], t["colour"]) == (
            schema["format"],
            schema["dpi"],
            schema["colour"],
        )
        assert list(t).index("labels") < list(t).index("format")
        if t["doc_type"] not in UNSEEN:
            continue
        assert t["font"] in EXTRA_FONT_FILES
        cmap = _cmap(EXTRA_FONT_FILES[t["font"]][0])
        assert {ord(c) for p in t["pages"] for line in p["lines"] for c in line} - {32} <= cmap
        assert t["labels"], t["doc_type"]
        text = _norm(" ".join(line for p in t["pages"] for line in p["lines"]))
        for label in t["labels"].values():
            assert _norm(label) not in listed and _norm(label) in text, label
        relabelled += 1
        moved += bool(t["placements"])
    assert relabelled > 30 and moved > 5
    assert truth_json(plans[0]) == truth_json(truth_of(*plan_document(5, "bench", 0, "schema")[:3]))
