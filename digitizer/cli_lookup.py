"""``digitizer lookup``, ``reuse``, ``dossiers``, ``units``: finding and reusing digitized data.

The counter's commands: load the units and the one-stop-shop system's dossiers, find what a
citizen already brought, and record that a dossier reused it. The logic lives in
:mod:`digitizer.units`, :mod:`digitizer.dossiers` and :mod:`digitizer.store.lookup`; this
module parses options and prints (a table for people, ``--json`` for scripts). Bad rows of an
import are printed as ``FILE:LINE: reason`` and make the exit status 1.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from digitizer.display import markup_safe, printable
from digitizer.dossiers import import_dossiers
from digitizer.errors import InputFileError
from digitizer.profiles import find_profile
from digitizer.seal import seal_chain
from digitizer.store import Store
from digitizer.store.lookup import (
    DOSSIER_FIELD,
    MAP_SHEET_FIELD,
    PARCEL_FIELD,
    Hit,
    LookupQuery,
    fields_of_type,
    find_document,
    record_reuse,
    search,
)
from digitizer.store.models import Dossier
from digitizer.understanding.schema import load_schemas
from digitizer.units import (
    BUNDLED,
    LEVELS,
    ImportReport,
    RowError,
    UnitIndex,
    UnitRow,
    UnknownUnitError,
    import_units,
    list_units,
    parse_date,
    read_units_csv,
    vietnam_provinces_rows,
    write_units_csv,
)

units_app = typer.Typer(no_args_is_help=True, help="Administrative units (with validity dates).")
dossiers_app = typer.Typer(no_args_is_help=True, help="Dossiers of the one-stop-shop system.")
err = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app (called once by :mod:`digitizer.cli`)."""
    app.add_typer(units_app, name="units")
    app.add_typer(dossiers_app, name="dossiers")
    app.command(name="lookup")(lookup)
    app.command(name="reuse")(reuse)


def _store(ctx: typer.Context) -> Store:
    state: Any = ctx.obj
    state.layout.prepare()  # the default SQLite file lives in the home folder
    return Store(state.store_url)


def _out() -> Console:
    return Console(width=None if sys.stdout.isatty() else 160)


def _date(value: str | None, option: str) -> dt.date | None:
    try:
        return parse_date(value or "")
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def _print_report(report: ImportReport, as_json: bool, what: str) -> None:
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for e in report.errors:
            err.print(printable(e), highlight=False, markup=False, soft_wrap=True)
        _out().print(
            f"{what} from {report.source}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.errors)} row(s) rejected",
            highlight=False,
        )
    if report.errors:
        raise typer.Exit(1)


# ---------------------------------------------------------------- units


@units_app.command("import")
def units_import(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Units CSV: code,name,level,parent_code,valid_from,valid_to."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="'vietnam-provinces': today's 34 provinces and 3,321 communes "
            "from that package; 'bundled': the lists shipped in digitizer/data.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Load administrative units (upsert by code, level and valid_from). Bad rows are
    reported with their line; the good ones are loaded, and the exit status is 1."""
    if bool(files) == bool(source):
        raise typer.BadParameter("give units CSV file(s) or --from, not both or neither")
    rows: list[tuple[str, int, UnitRow]] = []
    bad: list[RowError] = []
    if source == "vietnam-provinces":
        rows = vietnam_provinces_rows()
    elif source == "bundled":
        files = list(BUNDLED)
    elif source is not None:
        raise typer.BadParameter("expected 'vietnam-provinces' or 'bundled'", param_hint="--from")
    for path in files or []:
        good, errors = read_units_csv(path)
        rows += good
        bad += errors
    store = _store(ctx)
    with store.session() as s, s.begin():
        report = import_units(s, rows, bad, source or ", ".join(map(str, files or [])))
    store.close()
    _print_report(report, as_json, "units")


@units_app.command("list")
def units_list(
    ctx: typer.Context,
    level: Annotated[str | None, typer.Option(help="province, district or commune.")] = None,
    at: Annotated[str | None, typer.Option(help="Only units in force on this date.")] = None,
    parent: Annotated[str | None, typer.Option(help="Only units under this code.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The loaded units, by level and code, with their validity."""
    if level is not None and level not in LEVELS:
        raise typer.BadParameter(f"expected one of {', '.join(LEVELS)}", param_hint="--level")
    day = _date(at, "--at")
    store = _store(ctx)
    with store.session() as s:
        if parent is not None and parent.strip() not in UnitIndex(s).by_code:
            raise UnknownUnitError(UnitIndex(s).why_unknown(parent))
        units = list_units(s, level=level, at=day, parent=parent)
    store.close()
    rows = [
        {
            "code": u.code,
            "name": u.name,
            "level": u.level,
            "parent_code": u.parent_code,
            "valid_from": u.valid_from.isoformat() if u.valid_from else None,
            "valid_to": u.valid_to.isoformat() if u.valid_to else None,
        }
        for u in units
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} unit(s)")
    for name in ("code", "name", "level", "parent_code", "valid_from", "valid_to"):
        table.add_column(name)
    for r in rows:
        table.add_row(*(markup_safe(v or "") for v in r.values()))
    _out().print(table)


@units_app.command("export")
def units_export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="The CSV to write (units import reads it back).")],
) -> None:
    """Write the loaded units as a units CSV."""
    store = _store(ctx)
    with store.session() as s:
        units = list_units(s)
    store.close()
    with out.open("w", encoding="utf-8", newline="") as fh:
        write_units_csv(
            (
                UnitRow(u.code, u.name, u.level, u.parent_code, u.valid_from, u.valid_to)
                for u in units
            ),
            fh,
        )
    _out().print(f"{len(units)} unit(s) written to {out}", highlight=False)


# ---------------------------------------------------------------- dossiers


@dossiers_app.command("import")
def dossiers_import(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="One-stop-shop export, CSV UTF-8: dossier_code (Mã hồ sơ), procedure_name "
            "(Tên thủ tục), unit_code (Mã đơn vị), received_date (Ngày tiếp nhận), "
            "returned_date (Ngày trả kết quả), status (Trạng thái)."
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Import dossiers (upsert by code). Bad rows are reported with their line and
    reason; the good ones are imported, and the exit status is 1."""
    if not file.is_file():
        raise InputFileError(f"{file}: no such file")
    store = _store(ctx)
    with store.session() as s, s.begin():
        report = import_dossiers(s, file)
    store.close()
    _print_report(report, as_json, "dossiers")


# ---------------------------------------------------------------- lookup and reuse


def _key_fields(hit: Hit, names: set[str]) -> str:
    """The fields that identify a document to a clerk: names, IDs, its key, its parcel."""
    shown = [
        f"{name}={value}" + ("" if status == "ok" else " (?)")
        for name, (value, status) in sorted(hit.fields.items())
        if value and (name in names or value == hit.key_value)
    ]
    return "; ".join(shown[:6])


def lookup(
    ctx: typer.Context,
    personal_id: Annotated[
        str | None, typer.Option("--id", help="Personal ID (any personal_id field).")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Name, accents optional, from the family name; end with * for a prefix."),
    ] = None,
    map_sheet: Annotated[str | None, typer.Option(help="Map sheet number (tờ bản đồ).")] = None,
    parcel: Annotated[str | None, typer.Option(help="Parcel number (thửa đất).")] = None,
    dossier: Annotated[str | None, typer.Option(help="Dossier code (mã hồ sơ).")] = None,
    words: Annotated[
        str | None, typer.Option("--text", help="Words that all occur in the OCR text.")
    ] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="Only this doc_type.")] = None,
    unit: Annotated[str | None, typer.Option(help="Only documents of this unit code.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="At most this many.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Find digitized documents; every criterion given must hold. Newest first."""
    if bool(map_sheet) != bool(parcel):
        raise typer.BadParameter("a parcel is found by --map-sheet and --parcel together")
    state: Any = ctx.obj
    schemas = load_schemas(state.layout.schemas_dir)
    types = sorted({sch.doc_type for sch in schemas.schemas} | {"unknown"})
    if doc_type is not None and doc_type not in types:
        raise typer.BadParameter(f"expected one of {', '.join(types)}", param_hint="--type")
    store = _store(ctx)
    with store.session() as s, s.begin():
        unit_ids: tuple[int, ...] = ()
        if unit:
            index = UnitIndex(s)
            unit_ids = tuple(u.id for u in index.by_code.get(unit.strip(), []))
            if not unit_ids:
                raise UnknownUnitError(index.why_unknown(unit))
        query = LookupQuery(
            personal_id=personal_id,
            name=name,
            map_sheet=map_sheet,
            parcel=parcel,
            dossier=dossier,
            text=words,
            doc_type=doc_type,
            unit_ids=unit_ids,
            limit=limit,
        )
        if query.empty():
            raise typer.BadParameter("give --id, --name, --map-sheet/--parcel, --dossier or --text")
        found = search(s, schemas, query)
    store.close()
    if as_json:
        hits = [h.to_json() | {"output": str(state.layout.resolve(h.output_path))} for h in found]
        print(json.dumps(hits, ensure_ascii=False))
        return
    shown = {*fields_of_type(schemas, "name"), *fields_of_type(schemas, "personal_id")}
    shown |= {MAP_SHEET_FIELD, PARCEL_FIELD, DOSSIER_FIELD}
    table = Table(title=f"{len(found)} document(s)")
    for column in ("document", "type", "key fields", "unit", "status", "dossier"):
        table.add_column(column, overflow="fold")
    for h in found:
        cells = (
            h.document_id,
            h.doc_type,
            _key_fields(h, shown),
            " ".join(filter(None, (h.unit_code, h.unit_name))),
            h.status,
            h.dossier_code or "",
        )
        table.add_row(*map(markup_safe, cells))
    _out().print(table)


def reuse(
    ctx: typer.Context,
    document: Annotated[str, typer.Argument(help="Document id (or its first 8+ characters).")],
    dossier: Annotated[str, typer.Option(help="Code of the dossier that reused it.")],
    clerk: Annotated[
        str | None, typer.Option(help="Who (the audit's actor). Default: $USER.")
    ] = None,
    as_json: JsonOpt = False,
    profile: Annotated[
        str, typer.Option(help="Scanner profile whose signing key seals the audit chain.")
    ] = "default",
) -> None:
    """Record that a dossier reused a digitized document instead of asking the citizen
    again (counted in the reuse rate; an audit entry, sealed at the end like every
    command's entries)."""
    actor = (clerk or os.environ.get("USER") or os.environ.get("LOGNAME") or "").strip()
    if not actor or len(actor) > 64:
        raise typer.BadParameter(
            "a clerk name of 1 to 64 characters (or $USER)", param_hint="--clerk"
        )
    layout = ctx.obj.layout
    sealer = find_profile(layout.profiles_dir, profile)  # an unknown one before any change
    store = _store(ctx)
    with store.session() as s, s.begin():
        doc = find_document(s, document)
        if doc is None:
            raise InputFileError(f"no document '{document}' in the store (see `digitizer lookup`)")
        found = s.scalars(select(Dossier).where(Dossier.code == dossier.strip())).first()
        if found is None:
            raise InputFileError(
                f"unknown dossier '{dossier}': import the one-stop-shop export "
                "(`digitizer dossiers import`) or scan its receipt first"
            )
        outcome = record_reuse(s, doc, found, actor)
    seal_chain(store, layout, sealer)  # the entry unsealed only as long as it must be
    store.close()
    if as_json:
        print(json.dumps(dataclasses.asdict(outcome), ensure_ascii=False))
        return
    verb = "recorded" if outcome.created else "already recorded"
    _out().print(
        f"reuse {verb}: dossier {outcome.dossier_code} reused document {outcome.document_id} "
        f"(by {outcome.actor}, event {outcome.event_id})",
        highlight=False,
    )
