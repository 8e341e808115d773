"""``digitizer users``: the accounts that sign in to the office's web workspace.

``users add NAME --role clerk|head|admin`` asks for the password twice on a terminal, or
reads its first line from standard input with ``--password-stdin`` (for scripts: never on
the command line, where ``ps`` and the shell's history would show it). ``users list``
shows names, roles and who added or disabled them (``--json`` for scripts); ``users disable
NAME`` stops an account from signing in. Adding and disabling are audit entries, and the
chain is sealed after them as after every change.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from digitizer.profiles import find_profile
from digitizer.seal import seal_chain
from digitizer.store import Store
from digitizer.store.accounts import ROLES, AccountError, add, disable, listing
from digitizer.store.audit import utc_iso

users_app = typer.Typer(no_args_is_help=True, help="Accounts of the web workspace (serve).")


def _actor(by: str | None) -> str:
    actor = (by or os.environ.get("USER") or os.environ.get("LOGNAME") or "").strip()
    if not actor or len(actor) > 64:
        raise typer.BadParameter("a name of 1 to 64 characters (or $USER)", param_hint="--by")
    return actor


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise AccountError("no terminal to ask the password on: use --password-stdin")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def _change(ctx: typer.Context, profile: str, change: Callable[[Session], object]) -> None:
    """One audited change of the accounts in its own transaction, then the chain sealed."""
    state = ctx.obj
    state.layout.prepare()
    store = Store(state.store_url)
    try:
        with store.session() as s, s.begin():
            change(s)
        seal_chain(store, state.layout, find_profile(state.layout.profiles_dir, profile))
    finally:
        store.close()


@users_app.command("add")
def add_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name: lower-case letters, digits, . _ -")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")] = "clerk",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password's first line from stdin.")
    ] = False,
    by: Annotated[str | None, typer.Option(help="Who adds it (audit). Default: $USER.")] = None,
    profile: Annotated[
        str, typer.Option(help="Scanner profile whose signing key seals the audit chain.")
    ] = "default",
) -> None:
    """Add an account. Example: echo 's3cret-pass' | digitizer users add lan --role clerk
    --password-stdin"""
    actor = _actor(by)
    password = _password(password_stdin)
    _change(ctx, profile, lambda s: add(s, name, role, password, by=actor))
    Console(highlight=False).print(f"added {name} ({role})", markup=False)


@users_app.command("disable")
def disable_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The account's login name.")],
    by: Annotated[str | None, typer.Option(help="Who disables it (audit). Default: $USER.")] = None,
    profile: Annotated[
        str, typer.Option(help="Scanner profile whose signing key seals the audit chain.")
    ] = "default",
) -> None:
    """Stop an account from signing in (its decisions stay in the audit trail).
    Example: digitizer users disable lan"""
    actor = _actor(by)
    _change(ctx, profile, lambda s: disable(s, name, by=actor))
    Console(highlight=False).print(f"disabled {name}", markup=False)


@users_app.command("list")
def list_users(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per account.")] = False,
) -> None:
    """The accounts, by name. Example: digitizer users list --json"""
    state = ctx.obj
    state.layout.prepare()
    store = Store(state.store_url)
    try:
        with store.session() as s:
            rows = [
                {
                    "name": a.name,
                    "role": a.role,
                    "created_by": a.created_by,
                    "created_at": utc_iso(a.created_at),
                    "disabled": a.disabled_at is not None,
                    "disabled_by": a.disabled_by,
                }
                for a in listing(s)
            ]
    finally:
        store.close()
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        Console(highlight=False).print("no accounts yet: digitizer users add NAME --role clerk")
        return
    table = Table(title="accounts")
    for column in ("name", "role", "added by", "added (UTC)", "disabled by"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            escape(str(row["name"])),
            str(row["role"]),
            escape(str(row["created_by"])),
            str(row["created_at"])[:16].replace("T", " "),
            escape(str(row["disabled_by"] or "")),
        )
    Console(highlight=False).print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app (called once by :mod:`digitizer.cli`)."""
    app.add_typer(users_app, name="users")
