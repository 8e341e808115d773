"""Administrative units as data: loaded from a CSV with validity dates, never invented.

Units were merged and renumbered on 1 July 2025 (63 provinces and three levels became 34
provinces and communes), and archival documents keep the old ones. So a unit is a row with
``valid_from``/``valid_to`` (both inclusive, empty = open), the same code may name an old and
a new unit (Bắc Giang 24 until 30 June 2025, the merged Bắc Ninh 24 since), and a code is
resolved *at a date*. A code that resolves to nothing is an error, never a new unit: a typo in
a dossier export must not create a commune that then shows up in the province's rates.

The units CSV (UTF-8, BOM or not, comma/semicolon/tab separated, ``#`` comment lines)::

    code,name,level,parent_code,valid_from,valid_to
    24,Tỉnh Bắc Ninh,province,,2025-07-01,
    07432,Xã Tân Dĩnh,commune,24,2025-07-01,

``level`` is province | district | commune (or tỉnh, huyện, quận, xã, phường …); codes are the
GSO numbers as text (province 2 digits, district 3, commune 5: a spreadsheet that drops the
leading zero is caught); dates ISO or dd/mm/yyyy. The CSV helpers here are shared with
:mod:`digitizer.dossiers`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digitizer.errors import DigitizerError, InputFileError, MissingDependencyError
from digitizer.store.models import Unit
from digitizer.understanding.vntext import collapse_spaces, fold, nfc

log = logging.getLogger(__name__)

MERGER_DATE = dt.date(2025, 7, 1)
DATA = Path(__file__).resolve().parent / "data"
# the current units (generated from vietnam-provinces) and the old ones the demo samples name
BUNDLED = (DATA / "units_2025.csv", DATA / "units_before_2025_demo.csv")
LEVELS = ("province", "district", "commune")
CODE_DIGITS = {"province": 2, "district": 3, "commune": 5}
_LEVEL_WORDS = {
    "province": ("province", "tinh", "thanh pho truc thuoc trung uong", "thanh pho trung uong"),
    "district": ("district", "huyen", "quan", "thi xa", "thanh pho thuoc tinh"),
    "commune": ("commune", "ward", "xa", "phuong", "thi tran", "dac khu"),
}
UNIT_COLUMNS = {
    "code": ("code", "ma", "ma don vi", "ma dvhc"),
    "name": ("name", "ten", "ten don vi", "ten dvhc"),
    "level": ("level", "cap"),
    "parent_code": ("parent_code", "parent", "ma cap tren", "ma don vi cap tren"),
    "valid_from": ("valid_from", "hieu luc tu", "tu ngay"),
    "valid_to": ("valid_to", "hieu luc den", "den ngay"),
}


class UnknownUnitError(DigitizerError):
    """A unit code that the loaded units do not know (exit 3: the data is not set up)."""

    exit_code = 3


# ---------------------------------------------------------------- CSV reading (shared)


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected CSV row: where it is and why, in one line."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


def header_key(text: str) -> str:
    """A header or keyword compared without accents, case, punctuation: "Mã hồ sơ" = "ma_ho_so"."""
    return collapse_spaces(re.sub(r"[^0-9a-z]+", " ", fold(text)))


def read_table(
    path: Path, columns: dict[str, tuple[str, ...]], required: tuple[str, ...] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: cell}) for each data row of a CSV, headers matched by aliases.

    Whole-file problems (unreadable, not UTF-8, a required column absent) raise
    :class:`InputFileError`; row problems are the caller's to report. Line numbers are the
    file's physical lines (the header is line 1 after any ``#`` comment lines).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError(
            f"{path}:{line}: not UTF-8; save the file as 'CSV UTF-8' and import it again"
        ) from exc
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), "")
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    aliases = {header_key(a): name for name, names in columns.items() for a in names}
    index: dict[str, int] | None = None
    end = 0
    for row in reader:
        start, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if index is None:
            index = {}
            for i, cell in enumerate(row):
                name = aliases.get(header_key(cell))
                if name is not None and name not in index:
                    index[name] = i
            absent = [c for c in required if c not in index]
            if absent:
                raise InputFileError(
                    f"{path}:{start}: missing column(s) "
                    + "; ".join(f"{c} (or '{columns[c][1]}')" for c in absent)
                    + f" in the header; known columns: {', '.join(columns)}"
                )
            continue
        yield (
            start,
            {
                name: nfc(collapse_spaces(row[i])) if i < len(row) else ""
                for name, i in index.items()
            },
        )
    if index is None:
        raise InputFileError(f"{path}: empty file (no header line)")


_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YMD = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date(text: str) -> dt.date | None:
    """``dd/mm/yyyy`` (also ``-`` or ``.``), ``d/m/yyyy`` or ISO ``yyyy-mm-dd``, optionally
    followed by a time as one-stop-shop exports write it; empty gives None.

    Raises ValueError with the cell quoted for anything else (a date written as a number by a
    spreadsheet, a month 13)."""
    text = text.strip()
    if not text:
        return None
    date_part = text.split("T")[0].split(" ")[0]
    try:
        if m := _YMD.fullmatch(date_part):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.fullmatch(date_part):
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        pass
    raise ValueError(f"bad date '{text}' (expected dd/mm/yyyy or yyyy-mm-dd)")


# ---------------------------------------------------------------- units


@dataclass(frozen=True, slots=True)
class UnitRow:
    code: str
    name: str
    level: str
    parent_code: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


@dataclass(slots=True)
class ImportReport:
    """What an import did; ``errors`` are the rejected rows, each with its line."""

    source: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.errors),
            "errors": [
                {"source": e.source, "line": e.line, "reason": e.reason} for e in self.errors
            ],
        }


def parse_level(text: str) -> str:
    key = header_key(text)
    for level, words in _LEVEL_WORDS.items():
        if key in words:
            return level
    raise ValueError(f"unknown level '{text}' (expected province, district or commune)")


def _unit_row(cells: dict[str, str]) -> UnitRow:
    code, name = cells.get("code", ""), cells.get("name", "")
    if not code:
        raise ValueError("missing code")
    if not name:
        raise ValueError("missing name")
    level = parse_level(cells.get("level", ""))
    if not code.isdigit() or len(code) != CODE_DIGITS[level]:
        raise ValueError(
            f"code '{code}' of a {level} must be {CODE_DIGITS[level]} digits "
            "(a spreadsheet drops leading zeros: format the column as text)"
        )
    parent = cells.get("parent_code") or None
    if level == "province" and parent:
        raise ValueError("a province has no parent_code")
    if level != "province" and not parent:
        raise ValueError(f"a {level} needs its parent_code")
    valid_from, valid_to = (
        parse_date(cells.get("valid_from", "")),
        parse_date(cells.get("valid_to", "")),
    )
    if valid_from and valid_to and valid_to < valid_from:
        raise ValueError(f"valid_to {valid_to} is before valid_from {valid_from}")
    return UnitRow(code, name, level, parent, valid_from, valid_to)


def read_units_csv(path: Path) -> tuple[list[tuple[str, int, UnitRow]], list[RowError]]:
    """The good rows (source, line, row) and the bad ones of a units CSV."""
    good: list[tuple[str, int, UnitRow]] = []
    bad: list[RowError] = []
    for line, cells in read_table(path, UNIT_COLUMNS, ("code", "name", "level")):
        try:
            good.append((path.name, line, _unit_row(cells)))
        except ValueError as exc:
            bad.append(RowError(path.name, line, str(exc)))
    return good, bad


def vietnam_provinces_rows() -> list[tuple[str, int, UnitRow]]:
    """The 34 provinces and 3,321 communes in force since 1 July 2025, from the
    ``vietnam-provinces`` package (GSO codes), as rows of a units CSV would be."""
    try:
        from vietnam_provinces import Province, VietNamDivisionType, Ward
    except ImportError as exc:
        raise MissingDependencyError(
            "the vietnam-provinces package is not installed: `pip install vietnam-provinces`, "
            f"or import the bundled list: digitizer units import {BUNDLED[0]}"
        ) from exc
    rows: list[tuple[str, int, UnitRow]] = []
    for p in sorted(Province.iter_all(), key=lambda p: int(p.code)):
        name = p.name
        if p.division_type == VietNamDivisionType.TINH and not name.startswith("Tỉnh"):
            name = f"Tỉnh {name}"
        rows.append(
            (
                "vietnam-provinces",
                0,
                UnitRow(
                    f"{int(p.code):02d}", nfc(collapse_spaces(name)), "province", None, MERGER_DATE
                ),
            )
        )
    for w in sorted(Ward.iter_all(), key=lambda w: int(w.code)):
        rows.append(
            (
                "vietnam-provinces",
                0,
                UnitRow(
                    f"{int(w.code):05d}",
                    nfc(collapse_spaces(w.name)),
                    "commune",
                    f"{int(w.province_code):02d}",
                    MERGER_DATE,
                ),
            )
        )
    return rows


def write_units_csv(
    rows: Iterable[UnitRow], out: io.TextIOBase | io.StringIO, header: str = ""
) -> None:
    """A units CSV that :func:`read_units_csv` reads back (how the bundled files were made)."""
    for line in header.splitlines():
        out.write(f"# {line}\n".replace("# \n", "#\n"))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UNIT_COLUMNS)
    for r in rows:
        writer.writerow(
            [r.code, r.name, r.level, r.parent_code or "", r.valid_from or "", r.valid_to or ""]
        )


def import_units(
    session: Session, rows: list[tuple[str, int, UnitRow]], errors: list[RowError], source: str
) -> ImportReport:
    """Upsert units by (code, level, valid_from); a parent must exist (in the rows or the
    store) at the right level. The caller commits: all good rows or none."""
    report = ImportReport(source=source, rows=len(rows) + len(errors), errors=list(errors))
    existing = {(u.code, u.level, u.valid_from): u for u in session.scalars(select(Unit))}
    known = {(code, level) for code, level, _ in existing} | {(r.code, r.level) for _, _, r in rows}
    seen: dict[tuple[str, str, dt.date | None], tuple[str, int]] = {}
    for src, line, row in rows:
        key = (row.code, row.level, row.valid_from)
        if key in seen:
            report.errors.append(
                RowError(
                    src,
                    line,
                    f"duplicate unit {row.code} ({row.level}, "
                    f"valid from {row.valid_from or 'always'}), first on line {seen[key][1]}",
                )
            )
            continue
        seen[key] = (src, line)
        if row.parent_code:
            parents = ("province",) if row.level == "district" else ("district", "province")
            if not any((row.parent_code, lv) in known for lv in parents):
                report.errors.append(
                    RowError(src, line, f"unknown parent_code '{row.parent_code}'")
                )
                continue
        unit = existing.get(key)
        if unit is None:
            session.add(
                Unit(
                    code=row.code,
                    name=row.name,
                    level=row.level,
                    parent_code=row.parent_code,
                    valid_from=row.valid_from,
                    valid_to=row.valid_to,
                )
            )
            report.created += 1
        elif (unit.name, unit.parent_code, unit.valid_to) != (
            row.name,
            row.parent_code,
            row.valid_to,
        ):
            unit.name, unit.parent_code, unit.valid_to = row.name, row.parent_code, row.valid_to
            report.updated += 1
        else:
            report.unchanged += 1
    report.errors.sort(key=lambda e: (e.source, e.line))
    return report


class UnitIndex:
    """All units in memory (a few thousand rows), to resolve codes at a date quickly."""

    def __init__(self, session: Session) -> None:
        self.by_code: dict[str, list[Unit]] = {}
        for unit in session.scalars(select(Unit)):
            self.by_code.setdefault(unit.code, []).append(unit)

    def resolve(self, code: str, on: dt.date | None = None) -> Unit | None:
        """The unit with this code valid on ``on`` (today's if no date; else the most recent)."""
        candidates = self.by_code.get(code.strip(), [])
        if on is not None:
            candidates = [u for u in candidates if _valid_on(u, on)]
        elif any(u.valid_to is None for u in candidates):
            candidates = [u for u in candidates if u.valid_to is None]
        if not candidates:
            return None
        return max(
            candidates, key=lambda u: (u.valid_from or dt.date.min, u.valid_to or dt.date.max)
        )

    def why_unknown(self, code: str, on: dt.date | None = None) -> str:
        """One line for an unknown code, with a hint when a leading zero was dropped or the
        code names a unit of another time."""
        code = code.strip()
        if code in self.by_code:
            return f"unit code '{code}' was not in force on {on}"
        for width in (2, 3, 5):
            padded = code.zfill(width)
            if code.isdigit() and padded != code and padded in self.by_code:
                return (
                    f"unknown unit code '{code}' (a spreadsheet dropped a leading zero? "
                    f"'{padded}' exists)"
                )
        hint = "" if self.by_code else " (no units loaded: run `digitizer units import`)"
        return f"unknown unit code '{code}'{hint}"

    def require(self, code: str, on: dt.date | None = None) -> Unit:
        unit = self.resolve(code, on)
        if unit is None:
            raise UnknownUnitError(self.why_unknown(code, on))
        return unit


def _valid_on(unit: Unit, day: dt.date) -> bool:
    return (unit.valid_from is None or unit.valid_from <= day) and (
        unit.valid_to is None or day <= unit.valid_to
    )


def list_units(
    session: Session,
    *,
    level: str | None = None,
    at: dt.date | None = None,
    parent: str | None = None,
) -> list[Unit]:
    """Units ordered by level then code, optionally only those of a level, in force on a
    date, or under a parent code."""
    stmt = select(Unit)
    if level:
        stmt = stmt.where(Unit.level == level)
    if parent:
        stmt = stmt.where(Unit.parent_code == parent)
    units = [u for u in session.scalars(stmt) if at is None or _valid_on(u, at)]
    order = {lv: i for i, lv in enumerate(LEVELS)}
    return sorted(units, key=lambda u: (order.get(u.level, 9), u.code, u.valid_from or dt.date.min))
