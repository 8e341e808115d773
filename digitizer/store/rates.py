"""The rates the province reports, per commune and period (DOMAIN.md, "The rates").

* **Digitization rate** (tỷ lệ số hóa hồ sơ): dossiers received in the period with at least
  one document in status ``registered`` ÷ dossiers received.
* **Reuse rate** (tỷ lệ khai thác, sử dụng lại): dossiers received in the period with at least
  one reuse event ÷ dossiers received.

Why only ``registered`` documents make a dossier digitized: a ``needs_review`` document is
scanned, signed and stored, but its data is not confirmed yet, and Decree 45/2020 lets other
offices *reuse* digitized results instead of asking the citizen again. A figure published on
the National Public Service Portal must not count data nobody can rely on yet, so the rate is
conservative; dossiers held back only by the review queue are reported beside it
(``awaiting_review``), so a department head sees what a clerk's review will add. The store
does not tell a dossier's components from its results, so "at least one registered document"
is the rule (the limitation is the model's, not the query's).

A dossier belongs to a period by its ``received_on`` (inclusive bounds); a dossier without
a receipt date is counted only when no period is given. Documents (by type, awaiting review)
are counted by their own unit and the date they were digitized (``created_at``, UTC).

Everything is four aggregate queries (``GROUP BY`` unit and month; documents reduced to one
row per dossier, then joined to it by primary key), the same SQL on SQLite and PostgreSQL:
Python only sees one row per unit and month, never a document. At a million documents they
need two covering indexes on ``documents`` to stay within seconds on SQLite:
``(dossier_id, status)`` and ``(unit_id, doc_type, status, created_at)`` (see
benchmarks/bench_store_scale.py for the figures with and without them).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, extract, func, select
from sqlalchemy.orm import Session

from digitizer.errors import DigitizerError
from digitizer.store.models import Document, Dossier, Unit
from digitizer.store.store import Store

log = logging.getLogger(__name__)


class UnknownUnitError(DigitizerError):
    """A unit code that is not in the store: an error, never a new unit (issue 5)."""

    exit_code = 2


class BadPeriodError(DigitizerError):
    """A period that is not dates (YYYY-MM-DD), or one that ends before it starts."""

    exit_code = 2


@dataclass
class CommuneRates:
    """One row of the report: a unit (usually a commune), optionally one month."""

    unit_code: str | None
    unit_name: str | None
    month: str | None = None  # "YYYY-MM" when grouped by month
    received: int = 0
    digitized: int = 0
    reused: int = 0
    # not digitized yet, but with documents waiting in the review queue
    awaiting_review: int = 0
    documents_by_type: dict[str, int] = field(default_factory=dict)
    documents_awaiting_review: int = 0

    @property
    def documents(self) -> int:
        return sum(self.documents_by_type.values())

    @property
    def digitization_rate(self) -> float | None:
        return self.digitized / self.received if self.received else None

    @property
    def reuse_rate(self) -> float | None:
        return self.reused / self.received if self.received else None

    def add(self, other: CommuneRates) -> None:
        """Accumulate another row's counts (rates are recomputed, never averaged)."""
        self.received += other.received
        self.digitized += other.digitized
        self.reused += other.reused
        self.awaiting_review += other.awaiting_review
        self.documents_awaiting_review += other.documents_awaiting_review
        for doc_type, n in other.documents_by_type.items():
            self.documents_by_type[doc_type] = self.documents_by_type.get(doc_type, 0) + n

    def to_json(self) -> dict[str, Any]:
        def rate(x: float | None) -> float | None:
            return None if x is None else round(x, 6)

        out: dict[str, Any] = {"unit_code": self.unit_code, "unit_name": self.unit_name}
        if self.month is not None:
            out["month"] = self.month
        out.update(
            received=self.received,
            digitized=self.digitized,
            reused=self.reused,
            digitization_rate=rate(self.digitization_rate),
            reuse_rate=rate(self.reuse_rate),
            awaiting_review=self.awaiting_review,
            documents=self.documents,
            documents_by_type=dict(sorted(self.documents_by_type.items())),
            documents_awaiting_review=self.documents_awaiting_review,
        )
        return out


@dataclass
class RatesReport:
    """The rows for a period, and the total over all of them."""

    date_from: dt.date | None
    date_to: dt.date | None
    by_month: bool
    unit_code: str | None
    rows: list[CommuneRates]
    total: CommuneRates

    def months(self) -> list[CommuneRates]:
        """Totals per month over all units (the trend line); empty unless ``by_month``."""
        per: dict[str, CommuneRates] = {}
        for row in self.rows:
            if row.month is None:
                continue
            per.setdefault(row.month, CommuneRates(None, None, row.month)).add(row)
        return [per[m] for m in sorted(per)]

    def to_json(self) -> dict[str, Any]:
        return {
            "from": None if self.date_from is None else self.date_from.isoformat(),
            "to": None if self.date_to is None else self.date_to.isoformat(),
            "by": "month" if self.by_month else "unit",
            "unit": self.unit_code,
            "rows": [r.to_json() for r in self.rows],
            "total": self.total.to_json(),
        }


def _month_key(year: Any, month: Any) -> str | None:
    if year is None or month is None:
        return None
    return f"{int(year):04d}-{int(month):02d}"


def _units(s: Session, unit_code: str | None) -> dict[int, Unit]:
    stmt = select(Unit)
    if unit_code is not None:
        stmt = stmt.where(Unit.code == unit_code)
    units = {u.id: u for u in s.scalars(stmt)}
    if unit_code is not None and not units:
        raise UnknownUnitError(
            f"unknown unit code {unit_code!r}: no such unit in the store (load the unit list "
            "or check the code)"
        )
    return units


def _open_communes(units: Iterable[Unit], start: dt.date | None, end: dt.date | None) -> list[int]:
    """Communes valid during the period: they get a row even with nothing received."""
    out = []
    for u in units:
        if u.level != "commune":
            continue
        if end is not None and u.valid_from is not None and u.valid_from > end:
            continue
        if start is not None and u.valid_to is not None and u.valid_to < start:
            continue
        out.append(u.id)
    return out


def _dossier_rows(
    s: Session, unit_ids: list[int] | None, start: dt.date | None, end: dt.date | None, by: bool
) -> dict[tuple[int | None, str | None], list[int]]:
    """Received, digitized, reused, awaiting review per unit (and month): one query.

    A dossier carries its own progress flags (:mod:`digitizer.store.progress`), so this is
    one pass over the ``ix_dossiers_rates`` index; deriving them here from a million
    documents took over a second on PostgreSQL.
    """
    conds: list[ColumnElement[bool]] = []
    if start is not None:
        conds.append(Dossier.received_on >= start)
    if end is not None:
        conds.append(Dossier.received_on <= end)
    if unit_ids is not None:
        conds.append(Dossier.unit_id.in_(unit_ids))
    keys: list[Any] = [Dossier.unit_id]
    if by:
        keys += [extract("year", Dossier.received_on), extract("month", Dossier.received_on)]

    def flag(column: Any) -> Any:
        return func.sum(case((column, 1), else_=0))

    stmt = select(
        *keys,
        func.count(),
        flag(Dossier.digitized),
        flag(Dossier.reused),
        flag(Dossier.awaiting_review),
    )
    # counts per key: [received, digitized, reused, awaiting review]
    out: dict[tuple[int | None, str | None], list[int]] = {}
    for rec in s.execute(stmt.where(*conds).group_by(*keys)):
        key = (rec[0], _month_key(rec[1], rec[2]) if by else None)
        out[key] = [int(v or 0) for v in rec[len(keys) :]]
    return out


def _document_rows(
    s: Session, unit_ids: list[int] | None, start: dt.date | None, end: dt.date | None, by: bool
) -> list[Any]:
    """One query: documents per unit (and month), type and status."""
    keys: list[Any] = [Document.unit_id]
    if by:
        keys += [extract("year", Document.created_at), extract("month", Document.created_at)]
    keys += [Document.doc_type]
    stmt = select(
        *keys,
        func.count(),
        func.sum(case((Document.status == "needs_review", 1), else_=0)),
    )
    conds: list[ColumnElement[bool]] = []
    if start is not None:
        conds.append(Document.created_at >= _utc_midnight(start))
    if end is not None:
        conds.append(Document.created_at < _utc_midnight(end + dt.timedelta(days=1)))
    if unit_ids is not None:
        conds.append(Document.unit_id.in_(unit_ids))
    return list(s.execute(stmt.where(*conds).group_by(*keys)).all())


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def commune_rates(
    store: Store,
    *,
    unit_code: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    by_month: bool = False,
) -> RatesReport:
    """The rates per unit for dossiers received between ``date_from`` and ``date_to``
    (inclusive; either may be open), optionally one row per unit and month.

    Every commune valid in the period gets a row (zero received: rates ``None``), plus any
    other unit that received dossiers or documents, plus a row without a unit for dossiers
    and documents whose unit is unknown. Raises :class:`UnknownUnitError` for a unit code
    the store does not have.
    """
    if date_from is not None and date_to is not None and date_from > date_to:
        raise BadPeriodError(f"the period ends ({date_to}) before it starts ({date_from})")
    with store.session() as s:
        units = _units(s, unit_code)
        unit_ids = list(units) if unit_code is not None else None
        dossiers = _dossier_rows(s, unit_ids, date_from, date_to, by_month)
        documents = _document_rows(s, unit_ids, date_from, date_to, by_month)

    rows: dict[tuple[int | None, str | None], CommuneRates] = {}

    def row(unit_id: int | None, month: str | None) -> CommuneRates:
        key = (unit_id, month)
        if key not in rows:
            unit = units.get(unit_id) if unit_id is not None else None
            rows[key] = CommuneRates(
                unit.code if unit else None, unit.name if unit else None, month
            )
        return rows[key]

    for (unit_id, month), counts in dossiers.items():
        r = row(unit_id, month)
        r.received, r.digitized, r.reused, r.awaiting_review = counts
    for rec in documents:
        month = _month_key(rec[1], rec[2]) if by_month else None
        r = row(rec[0], month)
        doc_type, n, reviewing = rec[-3], int(rec[-2]), int(rec[-1] or 0)
        r.documents_by_type[doc_type] = r.documents_by_type.get(doc_type, 0) + n
        r.documents_awaiting_review += reviewing
    if not by_month:
        wanted = list(units) if unit_code is not None else []
        for unit_id in wanted or _open_communes(units.values(), date_from, date_to):
            row(unit_id, None)

    ordered = sorted(
        rows.values(),
        key=lambda r: (r.unit_code is None, r.unit_code or "", r.unit_name or "", r.month or "~"),
    )
    total = CommuneRates(None, "Tổng / Total")
    for r in ordered:
        total.add(r)
    log.info("rates: %d rows, %d dossiers received", len(ordered), total.received)
    return RatesReport(date_from, date_to, by_month, unit_code, ordered, total)
