"""``digitizer stats`` and ``digitizer report``: the rates per commune.

``stats`` is the quick look (a table for people, ``--json`` for the province's scripts);
``report --html`` is the page a department head opens. Both take the same filters and read
the same numbers from :mod:`digitizer.store.rates`.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from digitizer.report import percent, write_report
from digitizer.store import Store
from digitizer.store.rates import BadPeriodError, CommuneRates, RatesReport, commune_rates

# short names for the table; --json and the HTML report keep the full doc_type
_SHORT_TYPES = {
    "birth_certificate": "birth",
    "marriage_certificate": "marriage",
    "death_certificate": "death",
    "land_use_certificate": "land",
    "business_household_registration": "business",
    "construction_permit": "permit",
    "application_form": "form",
    "dossier_receipt": "receipt",
    "unknown": "unknown",
}


UnitOption = Annotated[
    str | None, typer.Option("--unit", help="Only this unit (its code, e.g. 07210).")
]
FromOption = Annotated[
    str | None, typer.Option("--from", help="First day of the period (YYYY-MM-DD), inclusive.")
]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Last day of the period (YYYY-MM-DD), inclusive.")
]


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadPeriodError(f"{option} {value!r} is not a date: use YYYY-MM-DD") from None


def _period(date_from: str | None, date_to: str | None) -> tuple[dt.date | None, dt.date | None]:
    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    if start is not None and end is not None and start > end:
        raise BadPeriodError(f"the period ends ({end}) before it starts ({start})")
    return start, end


def _store_url(ctx: typer.Context) -> str:
    state: Any = ctx.obj
    return str(state.store_url)


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.2f} %"


def _types(row: CommuneRates) -> str:
    return ", ".join(
        f"{_SHORT_TYPES.get(t, t)} {n}"
        for t, n in sorted(row.documents_by_type.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _print_table(report: RatesReport) -> None:
    out = Console(width=None if sys.stdout.isatty() else 160)
    start = report.date_from.isoformat() if report.date_from else "…"
    end = report.date_to.isoformat() if report.date_to else "…"
    table = Table(title=f"Tỷ lệ số hóa / tái sử dụng (digitization / reuse rates) {start} – {end}")
    table.add_column("unit", no_wrap=True)
    table.add_column("xã / phường", overflow="fold")
    if report.by_month:
        table.add_column("month", no_wrap=True)
    for name in ("received", "digitized", "digitization", "reused", "reuse", "to review"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("documents by type", overflow="fold")
    for row in [*report.rows, report.total]:
        is_total = row is report.total
        cells = [
            "" if is_total else (row.unit_code or "—"),
            row.unit_name or ("" if is_total else "(no unit)"),
        ]
        if report.by_month:
            cells.append(row.month or ("" if is_total else "—"))
        cells += [
            str(row.received),
            str(row.digitized),
            _pct(row.digitization_rate),
            str(row.reused),
            _pct(row.reuse_rate),
            str(row.documents_awaiting_review),
            _types(row),
        ]
        last = bool(report.rows) and row is report.rows[-1]
        table.add_row(*cells, style="bold" if is_total else None, end_section=last)
    out.print(table)
    if report.total.awaiting_review:
        out.print(
            f"{report.total.awaiting_review} dossier(s) are not counted as digitized yet: their "
            "documents await a clerk's review (digitizer review)."
        )


def stats(
    ctx: typer.Context,
    unit: UnitOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    by: Annotated[
        str, typer.Option("--by", help="'unit' (one row per unit) or 'month' (unit and month).")
    ] = "unit",
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Digitization and reuse rates per commune: dossiers received, digitized, reused,
    documents by type and documents awaiting review."""
    if by not in ("unit", "month"):
        raise BadPeriodError(f"--by {by!r}: use 'unit' or 'month'")
    start, end = _period(date_from, date_to)
    store = Store(_store_url(ctx))
    try:
        report = commune_rates(
            store, unit_code=unit, date_from=start, date_to=end, by_month=by == "month"
        )
    finally:
        store.close()
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return
    _print_table(report)


def report(
    ctx: typer.Context,
    html: Annotated[Path, typer.Option("--html", help="The HTML file to write.")],
    unit: UnitOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was written as JSON.")
    ] = False,
) -> None:
    """Write the rates per commune and their trend per month as one offline HTML page."""
    start, end = _period(date_from, date_to)
    store = Store(_store_url(ctx))
    try:
        written = write_report(store, html, unit_code=unit, date_from=start, date_to=end)
    finally:
        store.close()
    if as_json:
        print(
            json.dumps(
                {
                    "html": str(written.path),
                    "units": written.units,
                    "months": written.months,
                    "total": written.total.to_json(),
                },
                ensure_ascii=False,
            )
        )
        return
    Console().print(
        f"report: {written.path} ({written.units} unit(s), {written.months} month(s); "
        f"digitization {percent(written.total.digitization_rate)}, "
        f"reuse {percent(written.total.reuse_rate)})",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app (called once by :mod:`digitizer.cli`)."""
    app.command(name="stats")(stats)
    app.command(name="report")(report)
