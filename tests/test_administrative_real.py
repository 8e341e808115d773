"""A real scanned công văn through the whole pipeline (``tests/data/real/cv574.pdf``).

The letter of a provincial People's Committee, scanned at 300 dpi with its digital signature
stamp: the number "574" and the day "04" are written by hand into the printed blanks, a red
seal lies over the signature. Its truth was read by eye from the page
(``benchmarks/data/real_dev_truth.toml``, entry ``cv574.pdf``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run_digitizer

REAL = Path(__file__).parent / "data" / "real" / "cv574.pdf"


@pytest.fixture(scope="module")
def letter(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    home = tmp_path_factory.mktemp("home")
    proc = run_digitizer(home, "process", "--json", "--workers", "1", str(REAL))
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout.splitlines()[0]))


def test_the_real_letter_is_an_administrative_document(letter: dict[str, object]) -> None:
    assert letter["doc_type"] == "administrative_document"
    fields = letter["fields"]
    assert isinstance(fields, dict)
    values = {name: f["value"] for name, f in fields.items()}
    assert values["document_kind"] == "CÔNG VĂN"  # no title, a "V/v" summary
    assert values["issue_date"] == "2025-02-04"  # the day written by hand, read twice alike
    assert values["place"] == "Quảng Ngãi"
    assert values["issuing_authority"] == "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"
    assert values["signer_position"] == "CHỦ TỊCH"
    assert values["signer_name"] == "Nguyễn Hoàng Giang"
    assert str(values["summary"]).startswith("V/v đăng ký")


def test_its_handwritten_number_is_never_accepted_wrong(letter: dict[str, object]) -> None:
    fields = letter["fields"]
    assert isinstance(fields, dict)
    number = fields["number"]
    # asterocr reads 574, Tesseract's digits 514: shown to a clerk, never ok and wrong
    assert number["value"] == "574/UBND-KTTH"  # the first recognizer's, for the clerk
    assert number["status"] == "needs_review"
    assert letter["status"] == "needs_review"
