"""Schemas are the office's files: every shipped one loads, a broken one names itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digitizer.errors import ConfigurationError
from digitizer.understanding.schema import load_schema, load_schemas
from tests.cli import run_digitizer
from tests.domain_fields import DOMAIN_FIELDS

ROOT = Path(__file__).resolve().parent.parent


def test_every_domain_type_has_a_schema_with_exactly_its_fields() -> None:
    schemas = load_schemas(ROOT / "schemas")
    assert {s.doc_type for s in schemas.schemas} == set(DOMAIN_FIELDS)
    for schema in schemas.schemas:
        assert {f.name for f in schema.fields} == DOMAIN_FIELDS[schema.doc_type], schema.doc_type
        assert schema.version >= 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('doc_type = "x"\n', "doc_type"),
        (
            'doc_type = "broken"\nversion = 1\n[recognition]\ntitles = ["A"]\n'
            '[[fields]]\nname = "f"\ntype = "colour"\nlabels = ["L"]\n',
            "'type'",
        ),
        (
            'doc_type = "broken"\nversion = 1\n[recognition]\ntitles = ["A"]\n'
            '[[fields]]\nname = "f"\ntype = "code"\nlabels = ["L"]\ncapture = "(["\n',
            "regular expression",
        ),
        ('doc_type = "broken"\nversion = 1\n[recognition]\ntitles = ["A"]\n', "fields"),
        (
            'doc_type = "broken"\nversion = 1\n[recognition]\ntitles = ["A"]\n'
            '[extraction]\nskip = ["x"]\n[[fields]]\nname = "f"\ntype = "code"\nlabels = ["L"]\n',
            "extraction",
        ),
        (
            'doc_type = "broken"\nversion = 1\n[recognition]\ntitles = ["A"]\n'
            '[[fields]]\nname = "f"\ntype = "text"\nlabels = ["L"]\nchoices = "Đất ở"\n',
            "choices",
        ),
        ('doc_type = "broken"\nversion = \n', "TOML"),
    ],
)
def test_a_broken_schema_names_its_file_and_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as err:
        load_schema(path)
    assert str(path) in str(err.value) and problem in str(err.value)
    assert "\n" not in str(err.value)


def test_a_broken_schema_stops_process_at_start_up(tmp_path: Path) -> None:
    config = tmp_path / "config"
    for folder in ("schemas", "pipelines", "scanner_profiles"):
        shutil.copytree(ROOT / folder, config / folder)
    (config / "schemas" / "notice.toml").write_text(
        'doc_type = "notice"\nversion = "one"\n', encoding="utf-8"
    )
    scan = next(p for p in (ROOT / "samples" / "scans").iterdir() if p.suffix == ".png")
    proc = run_digitizer(
        tmp_path / "home", "process", "--json", str(scan), config=config, timeout=300
    )
    assert proc.returncode == 3
    assert "notice.toml" in proc.stderr and "version" in proc.stderr
    assert proc.stdout == ""


def test_land_purposes_and_the_changes_page_are_data() -> None:
    schema = load_schemas(ROOT / "schemas").get("land_use_certificate")
    assert schema is not None
    assert "Đất nuôi trồng thủy sản" in schema.field("land_use_purpose").choices
    assert schema.ignore_after == ("Những thay đổi sau khi cấp giấy chứng nhận",)
