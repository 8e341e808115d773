"""Dossiers from the office's one-stop-shop system: ``digitizer dossiers import FILE.csv``.

The rates divide by dossiers *received*, and only the one-stop-shop system (Hệ thống thông tin
giải quyết TTHC) knows them all: a receipt that was never scanned still counts. So its export
is imported, upserted by dossier code: a dossier that a scanned receipt created first
(``origin = receipt``, code from the QR) gets the system's procedure, unit, dates and status;
an empty cell never erases what the store has; a non-empty one wins (the system is the record).

Columns (header names English or Vietnamese, matched without accents or case; other columns
of the export are ignored):

=================  ==========================================================  ========
column             Vietnamese headers accepted                                 required
=================  ==========================================================  ========
dossier_code       Mã hồ sơ, Số hồ sơ, Mã HS                                   yes
procedure_name     Tên thủ tục, Thủ tục, Tên TTHC, Thủ tục hành chính          no
unit_code          Mã đơn vị, Mã đơn vị tiếp nhận, Mã ĐVHC, Mã xã              no
received_date      Ngày tiếp nhận, Ngày nhận, Ngày nhận hồ sơ                  no
returned_date      Ngày trả kết quả, Ngày trả KQ, Ngày trả                     no
status             Trạng thái, Tình trạng, Trạng thái hồ sơ                    no
=================  ==========================================================  ========

UTF-8 with or without BOM, comma, semicolon or tab separated; dates ``dd/mm/yyyy`` or ISO,
a time after the date is ignored. ``unit_code`` is the GSO code of a loaded unit in force on
the received date (``digitizer units import``). ``status`` is one of :data:`STATUSES` or its
Vietnamese wording ("Đang xử lý", "Đã trả kết quả", …); empty means ``returned`` when there
is a returned date, else ``received``. A row is refused, with its line, for: a missing code, a
code already on an earlier line, a bad date, a returned date before the received one, an
unknown unit code, an unknown status.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digitizer.store.models import Dossier
from digitizer.units import ImportReport, RowError, UnitIndex, header_key, parse_date, read_table

log = logging.getLogger(__name__)

DOSSIER_COLUMNS = {
    "dossier_code": ("dossier_code", "ma ho so", "so ho so", "ma hs", "so hs", "code"),
    "procedure_name": (
        "procedure_name",
        "ten thu tuc",
        "thu tuc",
        "ten tthc",
        "thu tuc hanh chinh",
        "ten thu tuc hanh chinh",
        "procedure",
    ),
    "unit_code": (
        "unit_code",
        "ma don vi",
        "ma don vi tiep nhan",
        "ma dvhc",
        "ma xa",
        "ma dv",
        "ma co quan",
    ),
    "received_date": (
        "received_date",
        "ngay tiep nhan",
        "ngay nhan",
        "ngay nhan ho so",
        "thoi gian tiep nhan",
        "received",
    ),
    "returned_date": (
        "returned_date",
        "ngay tra ket qua",
        "ngay tra kq",
        "ngay tra",
        "ngay tra ket qua thuc te",
        "returned",
    ),
    "status": ("status", "trang thai", "tinh trang", "trang thai ho so", "tinh trang ho so"),
}
# status -> words an export may use for it (compared with header_key: no accents, no case)
STATUSES: dict[str, tuple[str, ...]] = {
    "received": ("received", "new", "moi tiep nhan", "da tiep nhan", "tiep nhan", "cho xu ly"),
    "processing": ("processing", "dang xu ly", "dang giai quyet", "dang thu ly", "in progress"),
    "supplement": ("supplement", "yeu cau bo sung", "cho bo sung", "bo sung ho so"),
    "resolved": ("resolved", "da giai quyet", "da xu ly", "da co ket qua", "cho tra ket qua"),
    "returned": ("returned", "da tra ket qua", "da tra", "hoan thanh", "done"),
    "rejected": ("rejected", "tu choi", "khong giai quyet", "tra lai ho so"),
    "cancelled": ("cancelled", "canceled", "da huy", "huy", "rut ho so", "cong dan rut ho so"),
}
_STATUS_WORDS = {header_key(w): s for s, words in STATUSES.items() for w in words}
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class DossierRow:
    code: str
    procedure: str | None
    unit_id: int | None
    received_on: dt.date | None
    returned_on: dt.date | None
    status: str | None


def parse_status(text: str) -> str | None:
    if not text.strip():
        return None
    status = _STATUS_WORDS.get(header_key(text))
    if status is None:
        raise ValueError(f"unknown status '{text}' (expected one of {', '.join(STATUSES)})")
    return status


def _row(cells: dict[str, str], units: UnitIndex) -> DossierRow:
    code = cells.get("dossier_code", "")
    if not code:
        raise ValueError("missing dossier code")
    if len(code) > 64:
        raise ValueError(f"dossier code '{code[:20]}…' is longer than 64 characters")
    received = parse_date(cells.get("received_date", ""))  # ValueError: the row's reason
    returned = parse_date(cells.get("returned_date", ""))
    if received and returned and returned < received:
        raise ValueError(f"returned date {returned} is before the received date {received}")
    unit_id = None
    if unit_code := cells.get("unit_code", ""):
        unit = units.resolve(unit_code, received)
        if unit is None:
            raise ValueError(units.why_unknown(unit_code, received))
        unit_id = unit.id
    status = parse_status(cells.get("status", ""))
    procedure = cells.get("procedure_name") or None
    return DossierRow(
        code, procedure[:300] if procedure else None, unit_id, received, returned, status
    )


def read_dossiers_csv(
    path: Path, units: UnitIndex
) -> tuple[list[tuple[int, DossierRow]], list[RowError]]:
    """The good rows (line, row) and the bad ones, in file order; a code repeated in the
    file keeps its first line and refuses the others."""
    good: list[tuple[int, DossierRow]] = []
    bad: list[RowError] = []
    first_line: dict[str, int] = {}
    for line, cells in read_table(path, DOSSIER_COLUMNS, ("dossier_code",)):
        try:
            row = _row(cells, units)
        except ValueError as exc:
            bad.append(RowError(path.name, line, str(exc)))
            continue
        if row.code in first_line:
            bad.append(
                RowError(
                    path.name,
                    line,
                    f"duplicate dossier code '{row.code}' (first on line {first_line[row.code]})",
                )
            )
            continue
        first_line[row.code] = line
        good.append((line, row))
    return good, bad


def import_dossiers(session: Session, path: Path) -> ImportReport:
    """Read, check and upsert a one-stop-shop export; the caller commits (all good rows in
    one transaction) and decides what the bad rows mean for the exit status."""
    units = UnitIndex(session)
    good, bad = read_dossiers_csv(path, units)
    report = ImportReport(source=str(path), rows=len(good) + len(bad), errors=bad)
    existing: dict[str, Dossier] = {}
    codes = [row.code for _, row in good]
    for i in range(0, len(codes), _CHUNK):
        chunk = codes[i : i + _CHUNK]
        existing.update(
            (d.code, d) for d in session.scalars(select(Dossier).where(Dossier.code.in_(chunk)))
        )
    for _, row in good:
        dossier = existing.get(row.code)
        if dossier is None:
            status = row.status or ("returned" if row.returned_on else "received")
            session.add(
                Dossier(
                    code=row.code,
                    procedure=row.procedure,
                    unit_id=row.unit_id,
                    received_on=row.received_on,
                    returned_on=row.returned_on,
                    status=status,
                    origin="import",
                )
            )
            report.created += 1
            continue
        changed = False
        for attr, value in (
            ("procedure", row.procedure),
            ("unit_id", row.unit_id),
            ("received_on", row.received_on),
            ("returned_on", row.returned_on),
            ("status", row.status or ("returned" if row.returned_on else None)),
        ):
            if value is not None and getattr(dossier, attr) != value:
                setattr(dossier, attr, value)
                changed = True
        if changed:
            report.updated += 1
        else:
            report.unchanged += 1
    log.info(
        "dossiers import %s: %d created, %d updated, %d rejected",
        path.name,
        report.created,
        report.updated,
        len(bad),
    )
    return report
