"""``digitizer keys`` (and, with issue 6, ``digitizer verify``): certificates and signatures."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from digitizer.keys import describe_certificate, init_demo_keys
from digitizer.profiles import find_profile

keys_app = typer.Typer(no_args_is_help=True, help="Signing certificates.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app (called once by :mod:`digitizer.cli`)."""
    app.add_typer(keys_app, name="keys")


@keys_app.command("init")
def keys_init(ctx: typer.Context) -> None:
    """Create the demo office CA and signing certificate (only if absent)."""
    state: Any = ctx.obj
    state.layout.prepare()
    keys = init_demo_keys(state.layout.home)
    info = describe_certificate(keys.p12_path, keys.password())
    out = Console()
    out.print(f"demo signing certificate: {keys.p12_path}")
    out.print(f"  subject: {info.subject}\n  issuer:  {info.issuer}")
    out.print(f"  valid until: {info.not_after:%Y-%m-%d}")
    out.print(f"demo CA certificate: {keys.ca_cert_path}")
    out.print(
        "[yellow]DEMO keys: not for legal use. A real office sets [signing] pkcs12 in its "
        "scanner profile to its own certificate.[/]"
    )


@keys_app.command("show")
def keys_show(
    ctx: typer.Context,
    profile: Annotated[str, typer.Option(help="Scanner profile name.")] = "default",
) -> None:
    """Show the certificate a profile signs with, and its expiry."""
    state: Any = ctx.obj
    prof = find_profile(state.layout.profiles_dir, profile)
    p12 = prof.signing.pkcs12_path(state.layout.home)
    info = describe_certificate(p12, prof.signing.password(state.layout.home))
    out = Console()
    out.print(
        f"{p12}\n  subject: {info.subject}\n  issuer:  {info.issuer}\n"
        f"  serial:  {info.serial}\n  valid:   {info.not_before:%Y-%m-%d} .. "
        f"{info.not_after:%Y-%m-%d}"
    )
