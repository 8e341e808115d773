"""Quick checks of the synthetic scan generator (samples/): truth schema, determinism,
page geometry, and that personal IDs agree with the birth dates on the same document."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from samples.generate import DOC_TYPES, generate_one, plan_document, truth_json, truth_of
from samples.layout import FAMILIES, FONT_FILES, find_font_file, page_size_px
from tests.domain_fields import DOMAIN_FIELDS

FIELDS = {**DOMAIN_FIELDS, "unknown": set()}
# IDs left out when the document prints an archival 9-digit CMND instead.
OPTIONAL = {"holder_id", "personal_id"}
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
        assert list(t) == ["doc_type", "fields", "format", "dpi", "colour", "font", "pages"]
        assert t["doc_type"] in DOC_TYPES
        seen.add(t["doc_type"])
        fields = t["fields"]
        assert set(fields) <= FIELDS[t["doc_type"]]
        assert FIELDS[t["doc_type"]] - set(fields) <= OPTIONAL
        assert t["format"] in {"tiff-g4", "tiff-lzw", "tiff-jpeg", "jpeg", "png", "pdf"}
        assert t["dpi"] in (200, 300)
        assert t["colour"] in ("colour", "grey", "bw")
        assert t["font"] in FAMILIES
        if t["format"] == "tiff-g4":
            assert t["colour"] == "bw"
        if t["format"] in ("jpeg", "png"):
            assert len(t["pages"]) == 1
        for name, value in fields.items():
            if name.endswith("_name") and name not in ("procedure_name", "business_name"):
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
