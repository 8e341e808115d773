"""``digitizer review`` and ``digitizer audit``: the clerk's queue and the audit chain.

``review`` is interactive (see :mod:`digitizer.review.session`); ``audit verify`` is for
scripts and inspectors: exit 0 when the chain holds, 1 with the first broken entry named.
``audit show`` masks personal-ID-like digit runs unless ``--reveal`` (its output ends up in
tickets and mails; Decree 13/2023).
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from digitizer.review.actions import Reviewer
from digitizer.review.keys import Keyboard
from digitizer.review.session import IMAGE_MODES, ReviewSession
from digitizer.store import Store
from digitizer.store.audit import entries_of, utc_iso, verify_chain_report
from digitizer.understanding.schema import load_schemas
from digitizer.understanding.validate import load_province_codes

audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit chain.")
err = Console(stderr=True)
_ID_LIKE = re.compile(r"\d{9,}")


def _state(ctx: typer.Context) -> Any:
    return ctx.obj


def review(
    ctx: typer.Context,
    clerk: Annotated[
        str | None, typer.Option(help="Who decides (the audit's actor). Default: $USER.")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="Only documents of this unit code.")] = None,
    doc_type: Annotated[
        str | None, typer.Option("--type", help="Only documents of this type.")
    ] = None,
    images: Annotated[
        str,
        typer.Option(
            help="How to show a field's image: auto (inline where the terminal can, else a "
            "PNG file), file, kitty, iterm, sixel."
        ),
    ] = "auto",
) -> None:
    """Review the documents waiting for a clerk, oldest first: accept or correct each
    uncertain or missing field; a document with nothing left becomes registered."""
    state = _state(ctx)
    actor = (clerk or os.environ.get("USER") or os.environ.get("LOGNAME") or "").strip()
    if not actor or len(actor) > 64:
        raise typer.BadParameter(
            "a clerk name of 1 to 64 characters (or $USER)", param_hint="--clerk"
        )
    if images not in IMAGE_MODES:
        raise typer.BadParameter(f"one of {', '.join(IMAGE_MODES)}", param_hint="--images")
    schemas = load_schemas(state.layout.schemas_dir)
    if doc_type is not None and schemas.get(doc_type) is None:
        known = ", ".join(s.doc_type for s in schemas.schemas)
        raise typer.BadParameter(f"unknown type {doc_type!r} (known: {known})", param_hint="--type")
    store = Store(state.store_url)
    try:
        reviewer = Reviewer(store, schemas, actor, load_province_codes())
        console = Console(highlight=False)
        session = ReviewSession(
            reviewer, Keyboard(), console, state.layout.home / "review", images=images
        )
        summary = session.run(unit=unit, doc_type=doc_type)
    finally:
        store.close()
    console.print(
        f"{summary.accepted} accepted, {summary.corrected} corrected, {summary.refused} "
        f"refused, {summary.skipped} skipped; {len(summary.registered)} document(s) registered"
    )


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check the whole audit chain; exit 1 naming the first entry that breaks it."""
    store = Store(_state(ctx).store_url)
    try:
        report = verify_chain_report(store)
    finally:
        store.close()
    broken = report.broken
    if as_json:
        print(
            json.dumps(
                {
                    "ok": broken is None,
                    "entries": report.entries,
                    "head": report.head if broken is None else None,
                    "broken": None
                    if broken is None
                    else {"id": broken.entry_id, "reason": broken.reason},
                }
            )
        )
    elif broken is None:
        Console(highlight=False).print(
            f"audit chain holds: {report.entries} entries, head {report.head}"
        )
    else:
        err.print(
            f"digitizer: audit chain broken at entry {broken.entry_id}: {broken.reason}",
            highlight=False,
            markup=False,
        )
    if broken is not None:
        raise typer.Exit(1)


def _mask(value: str | None, reveal: bool) -> str | None:
    if value is None or reveal:
        return value
    return _ID_LIKE.sub(
        lambda m: m.group()[:3] + "*" * (len(m.group()) - 5) + m.group()[-2:], value
    )


@audit_app.command("show")
def audit_show(
    ctx: typer.Context,
    document: Annotated[str | None, typer.Option(help="Only this document's entries.")] = None,
    reveal: Annotated[
        bool, typer.Option(help="Show personal-ID-like numbers in full (they are masked).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per entry.")] = False,
) -> None:
    """The audit entries, oldest first (of one document with --document)."""
    store = Store(_state(ctx).store_url)
    try:
        entries = entries_of(store, document)
    finally:
        store.close()
    rows = [
        {
            "id": e.id,
            "at": utc_iso(e.at),
            "actor": e.actor,
            "action": e.action,
            "document_id": e.document_id,
            "field_name": e.field_name,
            "old_value": _mask(e.old_value, reveal),
            "new_value": _mask(e.new_value, reveal),
            "hash": e.hash,
        }
        for e in entries
    ]
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    table = Table(title=f"audit entries{f' of {document}' if document else ''}")
    for column in ("id", "at (UTC)", "actor", "action", "document", "field", "old", "new"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            *(
                escape(str(row[k] or ""))
                for k in (
                    "id",
                    "at",
                    "actor",
                    "action",
                    "document_id",
                    "field_name",
                    "old_value",
                    "new_value",
                )
            )
        )
    # piped to a file, the table keeps a readable width instead of 80 columns
    Console(highlight=False, width=None if sys.stdout.isatty() else 150).print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app (called once by :mod:`digitizer.cli`)."""
    app.command(name="review")(review)
    app.add_typer(audit_app, name="audit")
