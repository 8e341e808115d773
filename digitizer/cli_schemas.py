"""``digitizer schemas``: the label wordings clerks' corrections taught, listed and forgotten.

``schemas learned`` lists the labels in force (``--json``: one object per line, for
scripts); ``schemas forget ID`` removes one, with an audit entry, so that the next
documents are read without it and the nightly ``digitizer reindex`` reads the office's
older documents of that type again. An unknown ID is one line on stderr and exit 1.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from digitizer.profiles import find_profile
from digitizer.seal import seal_chain
from digitizer.store import Store, learned_labels
from digitizer.store.audit import utc_iso
from digitizer.store.models import LearnedLabel

schemas_app = typer.Typer(no_args_is_help=True, help="Label wordings learned from clerks.")
err = Console(stderr=True)


def _row(s: Any, label: LearnedLabel) -> dict[str, object]:
    return {
        "id": label.id,
        "unit_code": label.unit_code or None,
        "doc_type": label.doc_type,
        "field": label.field_name,
        "label": label.label,
        "placement": label.placement,
        "taught_by": label.taught_by,
        "taught_at": utc_iso(label.taught_at),
        "document_id": label.document_id,
        "seen_since": learned_labels.seen_since(s, label),
        "reread": label.reread,
    }


@schemas_app.command("learned")
def learned(
    ctx: typer.Context,
    doc_type: Annotated[str | None, typer.Option("--type", help="Only this document type.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per label.")] = False,
) -> None:
    """The labels clerks' corrections taught, in force now (oldest first). 'seen since':
    documents of its type and office registered since, whose text holds its words."""
    ctx.obj.layout.prepare()  # a new home: its store is made, and holds no label yet
    store = Store(ctx.obj.store_url)
    try:
        with store.session() as s, s.begin():
            from digitizer.store.lookup import sync_text_index

            sync_text_index(s)  # as lookups do: the counts include the newest documents
        with store.session() as s:
            rows = [_row(s, label) for label in learned_labels.listing(s, doc_type)]
    finally:
        store.close()
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        Console(highlight=False).print(
            "no learned labels" + (f" for {doc_type}" if doc_type else "")
        )
        return
    table = Table(title="learned labels")
    for column in (
        "id",
        "type",
        "field",
        "learned label",
        "office",
        "taught by",
        "when (UTC)",
        "seen since",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            escape(str(row["doc_type"])),
            escape(str(row["field"])),
            escape(str(row["label"])),
            escape(str(row["unit_code"] or "-")),
            escape(str(row["taught_by"])),
            str(row["taught_at"])[:16].replace("T", " "),
            "" if row["seen_since"] is None else str(row["seen_since"]),
        )
    Console(highlight=False, width=None if sys.stdout.isatty() else 150).print(table)


@schemas_app.command("forget")
def forget(
    ctx: typer.Context,
    label_id: Annotated[int, typer.Argument(metavar="ID", help="The id 'schemas learned' shows.")],
    clerk: Annotated[
        str | None, typer.Option(help="Who removes it (the audit's actor). Default: $USER.")
    ] = None,
    profile: Annotated[
        str, typer.Option(help="Scanner profile whose signing key seals the audit chain.")
    ] = "default",
) -> None:
    """Forget a learned label: the next documents are read without it, and the nightly
    reindex reads the office's older documents of its type again."""
    actor = (clerk or os.environ.get("USER") or os.environ.get("LOGNAME") or "").strip()
    if not actor or len(actor) > 64:
        raise typer.BadParameter("a name of 1 to 64 characters (or $USER)", param_hint="--clerk")
    state = ctx.obj
    state.layout.prepare()
    store = Store(state.store_url)
    try:
        with store.session() as s, s.begin():
            row = learned_labels.forget(s, label_id, actor)
            shown = None if row is None else f"'{row.label}' ({row.doc_type}.{row.field_name})"
        if shown is not None:
            seal_chain(store, state.layout, find_profile(state.layout.profiles_dir, profile))
    finally:
        store.close()
    if shown is None:
        err.print(
            f"digitizer: no learned label {label_id} (see 'digitizer schemas learned')",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(1)
    Console(highlight=False).print(
        f"forgot label {label_id} {shown}; older documents are read again by the next reindex",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app (called once by :mod:`digitizer.cli`)."""
    app.add_typer(schemas_app, name="schemas")
