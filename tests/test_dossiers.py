"""``dossiers import``: a one-stop-shop export with good and bad rows, upserted by code.

Store-level tests take ``store_url`` (SQLite and a real PostgreSQL); one test drives the
real command.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from digitizer.dossiers import import_dossiers
from digitizer.errors import InputFileError
from digitizer.store import Store
from digitizer.store.models import Dossier, Unit
from digitizer.units import BUNDLED, import_units, read_units_csv
from tests.cli import run_digitizer

ROOT = Path(__file__).resolve().parent.parent

# an export as a Vietnamese office's system writes it: Excel's "CSV UTF-8" (with a BOM),
# semicolons, an STT column and columns this import does not use
EXPORT = (
    "\ufeffSTT;Mã hồ sơ;Tên thủ tục;Người nộp;Mã đơn vị;Ngày tiếp nhận;"
    "Ngày trả kết quả;Trạng thái\n"
    "1;000.00.24.H07-230315-0001;Đăng ký khai sinh;Nguyễn Văn An;07432;15/03/2023;"
    "20/03/2023 16:05;Đã trả kết quả\n"
    "2;000.00.24.H07-250801-0002;Cấp GCN quyền sử dụng đất;Trần Thị Bình;07432;"
    "01/08/2025 08:30;;Đang xử lý\n"
    "3;;Đăng ký kết hôn;Lê Văn Cường;07432;02/08/2025;;\n"
    "4;000.00.24.H07-250231-0004;Đăng ký khai tử;Phạm Thị Dung;07432;31/02/2025;;\n"
    "5;000.00.24.H07-250801-0005;Đăng ký khai sinh;Vũ Văn Em;7432;01/08/2025;;\n"
    "6;000.00.24.H07-250801-0002;Cấp GCN quyền sử dụng đất;Trần Thị Bình;07432;"
    "01/08/2025;;\n"
    "7;000.00.24.H07-250801-0007;Cấp phép xây dựng;Đỗ Văn Giang;07432;01/08/2025;;Lạc\n"
    "8;000.00.24.H07-250805-0008;Cấp phép xây dựng;Hồ Thị Hoa;07432;05/08/2025;"
    "01/08/2025;\n"
    "9;000.00.24.H07-250801-0009;Đăng ký hộ kinh doanh;Ngô Văn Ích;99999;2025-08-01;;\n"
    "10;000.00.24.H07-250802-0010;Chứng thực bản sao;Lý Văn Khoa;;2025-08-02;;\n"
)
REJECTED = [
    (4, "missing dossier code"),
    (5, "bad date '31/02/2025' (expected dd/mm/yyyy or yyyy-mm-dd)"),
    (6, "unknown unit code '7432' (a spreadsheet dropped a leading zero? '07432' exists)"),
    (7, "duplicate dossier code '000.00.24.H07-250801-0002' (first on line 3)"),
    (
        8,
        "unknown status 'Lạc' (expected one of received, processing, supplement, resolved, "
        "returned, rejected, cancelled)",
    ),
    (9, "returned date 2025-08-01 is before the received date 2025-08-05"),
    (10, "unknown unit code '99999'"),
]


def _units(store: Store) -> None:
    rows, bad = [], []
    for path in BUNDLED:
        good, errors = read_units_csv(path)
        rows += good
        bad += errors
    with store.session() as s, s.begin():
        import_units(s, rows, bad, "bundled")


def _import(store: Store, path: Path) -> tuple[tuple[int, int, int], list[tuple[int, str]]]:
    with store.session() as s, s.begin():
        r = import_dossiers(s, path)
    return (r.created, r.updated, r.unchanged), [(e.line, e.reason) for e in r.errors]


def test_good_rows_are_imported_and_each_bad_row_reported(store_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "export.csv"
    csv.write_text(EXPORT, encoding="utf-8")
    store = Store(store_url)
    _units(store)
    counts, errors = _import(store, csv)
    assert errors == REJECTED
    assert counts == (3, 0, 0)
    with store.session() as s:
        got = {
            d.code: (d.procedure, code, unit_to, d.received_on, d.returned_on, d.status, d.origin)
            for d, code, unit_to in s.execute(
                select(Dossier, Unit.code, Unit.valid_to).outerjoin(
                    Unit, Unit.id == Dossier.unit_id
                )
            )
        }
    assert got == {
        # the same commune code, before and after the merger: the unit of the received date
        "000.00.24.H07-230315-0001": (
            "Đăng ký khai sinh",
            "07432",
            dt.date(2025, 6, 30),
            dt.date(2023, 3, 15),
            dt.date(2023, 3, 20),
            "returned",
            "import",
        ),
        "000.00.24.H07-250801-0002": (
            "Cấp GCN quyền sử dụng đất",
            "07432",
            None,
            dt.date(2025, 8, 1),
            None,
            "processing",
            "import",
        ),
        "000.00.24.H07-250802-0010": (
            "Chứng thực bản sao",
            None,
            None,
            dt.date(2025, 8, 2),
            None,
            "received",
            "import",
        ),
    }
    # the same export again: nothing new, nothing changed, the same rows refused
    assert _import(store, csv) == ((0, 0, 3), REJECTED)
    store.close()


def test_import_fills_in_a_dossier_a_receipt_created(store_url: str, tmp_path: Path) -> None:
    store = Store(store_url)
    _units(store)
    with store.session() as s, s.begin():
        s.add(
            Dossier(
                code="000.00.24.H07-250801-0002",
                procedure="Cấp GCN",
                received_on=dt.date(2025, 8, 1),
                origin="receipt",
                status="received",
            )
        )
    csv = tmp_path / "export.csv"
    # English headers, commas, ISO dates; an empty cell never erases what the receipt gave
    csv.write_text(
        "dossier_code,procedure_name,unit_code,received_date,returned_date,status\n"
        "000.00.24.H07-250801-0002,,07432,,2025-08-09,\n",
        encoding="utf-8",
    )
    assert _import(store, csv) == ((0, 1, 0), [])
    with store.session() as s:
        d = s.scalars(select(Dossier)).one()
        unit = s.get(Unit, d.unit_id)
        assert unit is not None and (unit.code, unit.valid_from) == ("07432", dt.date(2025, 7, 1))
        assert (d.procedure, d.received_on, d.returned_on, d.status, d.origin) == (
            "Cấp GCN",
            dt.date(2025, 8, 1),
            dt.date(2025, 8, 9),
            "returned",
            "receipt",
        )
    store.close()


def test_without_units_every_unit_code_is_refused(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    csv = tmp_path / "export.csv"
    csv.write_text("Mã hồ sơ,Mã đơn vị\nA-1,07432\nA-2,\n", encoding="utf-8")
    assert _import(store, csv) == (
        (1, 0, 0),
        [(2, "unknown unit code '07432' (no units loaded: run `digitizer units import`)")],
    )
    no_code = tmp_path / "no_code.csv"
    no_code.write_text("Tên thủ tục,Mã đơn vị\nĐăng ký khai sinh,07432\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"no_code.csv:1: missing column\(s\) dossier_code"):
        _import(store, no_code)
    store.close()


def test_dossiers_import_command(tmp_path: Path) -> None:
    home = tmp_path / "home"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_digitizer(home, *args, timeout=300)

    assert run("units", "import", "--from", "bundled").returncode == 0
    csv = tmp_path / "export.csv"
    csv.write_text(EXPORT, encoding="utf-8")
    people = run("dossiers", "import", str(csv))
    assert people.returncode == 1
    assert people.stderr.splitlines() == [f"export.csv:{line}: {why}" for line, why in REJECTED]
    assert "3 created, 0 updated, 0 unchanged, 7 row(s) rejected" in people.stdout
    script = run("dossiers", "import", "--json", str(csv))
    assert script.returncode == 1
    summary = json.loads(script.stdout)
    assert (summary["rows"], summary["created"], summary["unchanged"], summary["rejected"]) == (
        10,
        0,
        3,
        7,
    )
    assert [(e["line"], e["reason"]) for e in summary["errors"]] == REJECTED
    missing = run("dossiers", "import", str(tmp_path / "nope.csv"))
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        f"digitizer: error: {tmp_path / 'nope.csv'}: no such file",
    )
