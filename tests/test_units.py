"""Administrative units: the bundled lists, import with bad rows, resolving a code at a date.

Store-level tests take ``store_url`` (SQLite and a real PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digitizer.errors import InputFileError
from digitizer.store import Store
from digitizer.store.models import Unit
from digitizer.units import (
    BUNDLED,
    MERGER_DATE,
    UnitIndex,
    import_units,
    parse_date,
    read_units_csv,
)
from tests.cli import run_digitizer as _digitizer

ROOT = Path(__file__).resolve().parent.parent


def _load(store: Store, *paths: Path) -> tuple[int, list[str]]:
    rows, bad = [], []
    for path in paths:
        good, errors = read_units_csv(path)
        rows += good
        bad += errors
    with store.session() as s, s.begin():
        report = import_units(s, rows, bad, "test")
    return report.created, [f"{e.line}: {e.reason}" for e in report.errors]


def test_bundled_current_units_are_34_provinces_and_3321_communes() -> None:
    good, bad = read_units_csv(BUNDLED[0])
    assert bad == []
    units = [row for _, _, row in good]
    assert Counter(u.level for u in units) == {"province": 34, "commune": 3321}
    assert {u.valid_from for u in units} == {MERGER_DATE} and {u.valid_to for u in units} == {None}
    by_code = {(u.code, u.level): u for u in units}
    assert by_code["24", "province"].name == "Tỉnh Bắc Ninh"  # took in Bắc Giang
    assert by_code["01", "province"].name == "Thành phố Hà Nội"
    assert by_code["07432", "commune"].name == "Xã Tân Dĩnh"
    assert by_code["07432", "commune"].parent_code == "24"
    provinces = {u.code for u in units if u.level == "province"}
    assert all(u.parent_code in provinces for u in units if u.level == "commune")


def test_bundled_list_is_what_vietnam_provinces_gives() -> None:
    pytest.importorskip("vietnam_provinces")
    from digitizer.units import vietnam_provinces_rows

    good, _ = read_units_csv(BUNDLED[0])
    assert [r for _, _, r in vietnam_provinces_rows()] == [r for _, _, r in good]


def test_codes_resolve_at_a_date_across_the_merger(store_url: str) -> None:
    store = Store(store_url)
    created, errors = _load(store, *BUNDLED)
    assert errors == [] and created > 3355 + 63
    with store.session() as s:
        units = UnitIndex(s)
        assert units.require("24").name == "Tỉnh Bắc Ninh"
        assert units.require("24", dt.date(2020, 5, 1)).name == "Tỉnh Bắc Giang"
        assert units.require("24", dt.date(2025, 6, 30)).name == "Tỉnh Bắc Giang"
        old = units.require("07432", dt.date(2023, 3, 15))
        new = units.require("07432", dt.date(2025, 8, 1))
        assert (old.parent_code, old.valid_to) == ("217", dt.date(2025, 6, 30))
        assert (new.parent_code, new.valid_from) == ("24", MERGER_DATE)
        assert units.require("217", dt.date(2024, 1, 1)).name == "Huyện Lạng Giang"
        assert units.resolve("217", dt.date(2025, 7, 1)) is None  # districts are gone
        assert units.resolve("99999") is None
        assert units.why_unknown("7432") == (
            "unknown unit code '7432' (a spreadsheet dropped a leading zero? '07432' exists)"
        )
    # importing again changes nothing and adds nothing
    assert _load(store, *BUNDLED) == (0, [])
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Unit)) == created
    store.close()


def test_bad_unit_rows_are_reported_and_good_ones_loaded(store_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "units.csv"
    csv.write_text(
        "# my office's units\n"
        "Mã;Tên;Cấp;Mã cấp trên;Hiệu lực từ;Hiệu lực đến\n"
        "24;Tỉnh Bắc Ninh;tỉnh;;01/07/2025;\n"
        "7432;Xã Tân Dĩnh;xã;24;01/07/2025;\n"
        "07432;Xã Tân Dĩnh;xã;24;01/07/2025;\n"
        "07433;Xã Mới;thôn;24;01/07/2025;\n"
        "07434;Xã Không Cha;xã;;01/07/2025;\n"
        "07435;Xã Cha Lạ;xã;77;01/07/2025;\n"
        "07436;Xã Ngày Ngược;xã;24;01/07/2025;30/06/2025\n"
        "07432;Xã Tân Dĩnh lặp;xã;24;2025-07-01;\n"
        "07437;Xã Ngày Sai;phường;24;31/06/2025;\n",
        encoding="utf-8",
    )
    store = Store(store_url)
    created, errors = _load(store, csv)
    assert created == 2
    assert errors == [
        "4: code '7432' of a commune must be 5 digits (a spreadsheet drops leading zeros: "
        "format the column as text)",
        "6: unknown level 'thôn' (expected province, district or commune)",
        "7: a commune needs its parent_code",
        "8: unknown parent_code '77'",
        "9: valid_to 2025-06-30 is before valid_from 2025-07-01",
        "10: duplicate unit 07432 (commune, valid from 2025-07-01), first on line 5",
        "11: bad date '31/06/2025' (expected dd/mm/yyyy or yyyy-mm-dd)",
    ]
    with store.session() as s:
        assert sorted(u.code for u in s.scalars(select(Unit))) == ["07432", "24"]
    store.close()


def test_dates_and_files_that_are_refused(tmp_path: Path) -> None:
    assert parse_date("05/3/2023") == dt.date(2023, 3, 5)
    assert parse_date("2023-03-05") == dt.date(2023, 3, 5)
    assert parse_date("15/03/2023 08:30:00") == dt.date(2023, 3, 15)
    assert parse_date("") is None
    for bad in ("45000", "2023/03/05", "13/13/2023", "3 tháng 5"):
        with pytest.raises(ValueError, match="bad date"):
            parse_date(bad)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("code,name,level\n24,T\u1ec9nh\n".encode("utf-16"))
    with pytest.raises(InputFileError, match="not UTF-8"):
        read_units_csv(latin)
    headless = tmp_path / "headless.csv"
    headless.write_text("ma so,ten goi\n24,Bắc Ninh\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="missing column"):
        read_units_csv(headless)


def test_units_commands(tmp_path: Path) -> None:
    home = tmp_path / "home"
    loaded = _digitizer(home, "units", "import", "--from", "bundled", "--json")
    assert loaded.returncode == 0, loaded.stderr
    summary = json.loads(loaded.stdout)
    assert summary["created"] == summary["rows"] > 3355 and summary["rejected"] == 0
    listed = _digitizer(home, "units", "list", "--json", "--level", "province", "--at", "1/7/2025")
    provinces = json.loads(listed.stdout)
    assert (
        len(provinces) == 34
        and {
            "code": "24",
            "name": "Tỉnh Bắc Ninh",
            "level": "province",
            "parent_code": None,
            "valid_from": "2025-07-01",
            "valid_to": None,
        }
        in provinces
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,level,parent_code,valid_from,valid_to\n"
        "01,Thành phố Hà Nội,province,,2025-07-01,\n"
        "1,X,province,,,\n",
        "utf-8",
    )
    refused = _digitizer(home, "units", "import", str(bad))
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "bad.csv:3: code '1' of a province must be 2 digits (a spreadsheet drops leading "
        "zeros: format the column as text)"
    ]
    assert "0 created, 0 updated, 1 unchanged, 1 row(s) rejected" in refused.stdout
    unknown = _digitizer(home, "lookup", "--id", "024070001234", "--unit", "99999")
    assert unknown.returncode == 3
    assert unknown.stderr.strip() == "digitizer: error: unknown unit code '99999'"
