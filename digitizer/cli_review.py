"""``digitizer review`` and ``digitizer audit``: the clerk's queue and the audit chain.

``review`` is interactive (see :mod:`digitizer.review.session`) and seals the audit chain
when the clerk is done (:mod:`digitizer.seal`). ``audit verify`` is for scripts and
inspectors: exit 0 when the chain holds and its seal vouches for it, 1 with every problem
named (the first broken entry, ``audit_truncated``, ``audit_rewritten``, ``seal_invalid``,
...); entries made since the last seal are a warning. ``audit seal`` seals it now
(``--rotate``: with a renewed key).
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

from digitizer.profiles import ScannerProfile, find_profile
from digitizer.review.actions import Reviewer
from digitizer.review.keys import Keyboard
from digitizer.review.session import IMAGE_MODES, ReviewSession
from digitizer.seal import SealReport, rotate_seal, seal_chain
from digitizer.store import Store
from digitizer.store.audit import ChainReport, entries_of, utc_iso
from digitizer.understanding.schema import load_schemas
from digitizer.understanding.validate import load_province_codes

audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit chain.")
err = Console(stderr=True)
_ID_LIKE = re.compile(r"\d{9,}")
_PROFILE = Annotated[
    str, typer.Option(help="Scanner profile whose signing key seals the audit chain.")
]


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
    profile: _PROFILE = "default",
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
    prof = find_profile(state.layout.profiles_dir, profile)
    store = Store(state.store_url)
    try:
        reviewer = Reviewer(store, schemas, actor, load_province_codes())
        console = Console(highlight=False)
        session = ReviewSession(reviewer, Keyboard(), console, state.layout.home, images=images)
        try:
            summary = session.run(unit=unit, doc_type=doc_type)
        finally:  # what was decided is saved: seal it, even when the session was cut short
            seal_chain(store, state.layout, prof)
    finally:
        store.close()
    console.print(
        f"{summary.accepted} accepted, {summary.corrected} corrected, {summary.refused} "
        f"refused, {summary.skipped} skipped; {len(summary.registered)} document(s) registered"
    )


def _verified(state: Any, profile: str) -> tuple[ChainReport, SealReport]:
    """The chain walked and checked against its seal, with the profile's trust roots."""
    from digitizer.seal import verify  # heavy: pyHanko

    prof = find_profile(state.layout.profiles_dir, profile)
    roots = prof.signing.trust_root_certificates(state.layout.home)
    store = Store(state.store_url)
    try:
        return verify(store, state.layout, roots)
    finally:
        store.close()


def _problems(chain: ChainReport, seal: SealReport) -> list[tuple[str, str]]:
    broken = chain.broken
    first = [("audit_broken", f"entry {broken.entry_id}: {broken.reason}")] if broken else []
    return first + seal.problems


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    profile: Annotated[
        str, typer.Option(help="Scanner profile whose trust roots the seal must chain to.")
    ] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check the whole audit chain and its seal; exit 1 naming every problem."""
    chain, seal = _verified(_state(ctx), profile)
    problems = _problems(chain, seal)
    if as_json:
        print(
            json.dumps(
                {
                    "ok": not problems,
                    "entries": chain.entries,
                    "head": chain.head if chain.broken is None else None,
                    "broken": None
                    if chain.broken is None
                    else {"id": chain.broken.entry_id, "reason": chain.broken.reason},
                    "seal": seal.to_json(),
                    "problems": [{"problem": c, "detail": d} for c, d in problems],
                },
                ensure_ascii=False,
            )
        )
    elif not problems:
        sealed = (
            f"; sealed {seal.sealed_entries} on {seal.sealed_at} by {seal.signer}"
            if seal.sealed_entries is not None
            else ""
        )
        Console(highlight=False, soft_wrap=True).print(
            f"audit chain holds: {chain.entries} entries, head {chain.head}{sealed}; "
            f"not yet sealed: {seal.unsealed}",
            markup=False,
        )
    for code, detail in problems if not as_json else ():
        what = "audit chain broken at " if code == "audit_broken" else f"{code}: "
        err.print(f"digitizer: {what}{detail}", highlight=False, markup=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)


@audit_app.command("seal")
def audit_seal(
    ctx: typer.Context,
    profile: _PROFILE = "default",
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate",
            help="The office's certificate was renewed: check the last seal (made by the old "
            "key, which must chain to the profile's trust roots) and seal with this "
            "profile's new key, recording the change of signer.",
        ),
    ] = False,
) -> None:
    """Seal the audit chain's head now with the profile's signing key (also the first seal
    of a store made before seals, once 'audit verify' shows its chain is intact)."""
    state = _state(ctx)
    prof: ScannerProfile = find_profile(state.layout.profiles_dir, profile)
    store = Store(state.store_url)
    try:
        if rotate:
            outcome = rotate_seal(store, state.layout, prof)
        else:
            outcome = seal_chain(store, state.layout, prof, start=True)
    finally:
        store.close()
    if not outcome.sealed:
        err.print(f"digitizer: {outcome.detail}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1)
    Console(highlight=False).print(outcome.detail, markup=False)


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
