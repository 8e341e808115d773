"""``digitizer keys`` and ``digitizer verify``: certificates, and checking signed files."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from digitizer.errors import CertificateError
from digitizer.keys import (
    CertificateInfo,
    describe_certificate,
    import_pkcs12,
    init_demo_keys,
    list_keys,
)
from digitizer.profiles import find_profile

keys_app = typer.Typer(no_args_is_help=True, help="Signing certificates.")
_JSON = Annotated[bool, typer.Option("--json", help="Print JSON.")]
_PROFILE = Annotated[str, typer.Option(help="Scanner profile name.")]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app (called once by :mod:`digitizer.cli`)."""
    app.add_typer(keys_app, name="keys")
    app.command("verify")(verify)


def _info_json(info: CertificateInfo) -> dict[str, object]:
    return {
        "subject": info.subject,
        "issuer": info.issuer,
        "serial": info.serial_hex,
        "not_before": info.not_before.isoformat(),
        "not_after": info.not_after.isoformat(),
        "days_left": info.days_left(),
        "status": info.status(),
    }


def _expiry_line(info: CertificateInfo) -> str:
    status, days = info.status(), info.days_left()
    if status == "expired":
        return f"[red]EXPIRED on {info.not_after:%Y-%m-%d}: signing is refused[/]"
    if status == "expiring":
        return f"[yellow]expires in {days} days ({info.not_after:%Y-%m-%d}): renew it now[/]"
    if status == "not_yet_valid":
        return f"[yellow]not valid before {info.not_before:%Y-%m-%d}[/]"
    return f"valid until {info.not_after:%Y-%m-%d} ({days} days)"


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
        "[yellow]DEMO keys: not for legal use. A real office sets [signing] pkcs12 (or "
        "pkcs11_module for a USB token) in its scanner profile.[/]"
    )


@keys_app.command("show")
def keys_show(ctx: typer.Context, profile: _PROFILE = "default", as_json: _JSON = False) -> None:
    """Show the certificate a profile signs with (file or token), and its expiry."""
    state: Any = ctx.obj
    prof = find_profile(state.layout.profiles_dir, profile)
    signing = prof.signing
    if signing.uses_token:
        from digitizer.signing import open_signer, spec_for_profile  # heavy: pyHanko

        signer = open_signer(spec_for_profile(signing, state.layout.home))
        signer.close()
        source, info = str(signer.source), signer.certificate
    else:
        if signing.uses_demo_key:
            init_demo_keys(state.layout.home)
        p12 = signing.pkcs12_path(state.layout.home)
        source, info = str(p12), describe_certificate(p12, signing.password(state.layout.home))
    level = "B-LT" if signing.ltv else ("B-T" if signing.timestamp_url else "B-B")
    if as_json:
        print(
            json.dumps(
                {"profile": prof.name, "source": source, "pades": level, **_info_json(info)},
                ensure_ascii=False,
            )
        )
        return
    Console().print(
        f"{source}\n  subject: {info.subject}\n  issuer:  {info.issuer}\n"
        f"  serial:  {info.serial_hex}\n  valid:   {info.not_before:%Y-%m-%d} .. "
        f"{info.not_after:%Y-%m-%d}\n  {_expiry_line(info)}\n  signatures: PAdES {level}"
        + (f" (timestamps from {signing.timestamp_url})" if signing.timestamp_url else ""),
        highlight=False,
    )


@keys_app.command("list")
def keys_list(ctx: typer.Context, as_json: _JSON = False) -> None:
    """Every certificate in the keys folder, with its expiry."""
    state: Any = ctx.obj
    entries = list_keys(state.layout.home)
    if as_json:
        for entry in entries:
            print(
                json.dumps({"file": str(entry.path), **_info_json(entry.info)}, ensure_ascii=False)
            )
        return
    out = Console()
    if not entries:
        out.print(
            f"no certificates in {state.layout.home / 'keys'}: run `digitizer keys init` "
            "or `digitizer keys import FILE.p12`"
        )
    for entry in entries:
        out.print(
            f"{entry.path.name}\n  {entry.info.subject}\n  {_expiry_line(entry.info)}",
            highlight=False,
        )


@keys_app.command("import")
def keys_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The office's .p12/.pfx file.")],
    name: Annotated[str | None, typer.Option(help="Name in the keys folder.")] = None,
    password_env: Annotated[
        str, typer.Option(help="Variable holding its password.")
    ] = "DIGITIZER_P12_PASSWORD",
) -> None:
    """Copy a PKCS#12 signing certificate into the keys folder, after checking it opens."""
    state: Any = ctx.obj
    state.layout.prepare()
    password = os.environ.get(password_env)
    if password is None and sys.stdin.isatty():
        password = getpass.getpass(f"password for {file}: ")
    if password is None:
        raise CertificateError(f"no password for {file}: set {password_env} or run on a terminal")
    entry = import_pkcs12(file, password.encode(), state.layout.home, name)
    out = Console()
    out.print(
        f"imported {entry.path}\n  {entry.info.subject}\n  {_expiry_line(entry.info)}",
        highlight=False,
    )
    out.print(
        f'use it in a profile: [signing] pkcs12 = "${{DIGITIZER_HOME}}/keys/{entry.path.name}"',
        markup=False,
        highlight=False,
    )


def verify(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Signed PDF files.")],
    profile: _PROFILE = "default",
    preflight: Annotated[bool, typer.Option(help="Also run PDFBox Preflight (PDF/A-1b).")] = False,
    as_json: _JSON = False,
) -> None:
    """Check signatures, timestamps, the PDF/A claim and that the store registered the file."""
    state: Any = ctx.obj
    prof = find_profile(state.layout.profiles_dir, profile)
    from digitizer.verify import store_lookup, verify_file  # heavy: pyHanko

    roots = prof.signing.trust_root_certificates(state.layout.home)
    lookup = store_lookup(state.store_url)
    failed = 0
    out = Console()
    for path in paths:
        report = verify_file(path, roots, lookup, preflight=preflight)
        failed += not report.ok
        if as_json:
            print(json.dumps(report.to_json(), ensure_ascii=False), flush=True)
            continue
        mark = "[green]OK[/]" if report.ok else "[red]FAILED[/]"
        out.print(
            f"{mark} {path}  PDF/A-{report.pdfa or '?'}  document {report.document_id or '-'}",
            highlight=False,
        )
        for sig in report.signatures:
            ts = (
                f", timestamp {sig.timestamp} {sig.timestamp_time or ''}"
                if sig.timestamp != "none"
                else ""
            )
            lt = ", LTV data embedded" if sig.long_term else ""
            out.print(f"  {sig.name}: {sig.signer}{ts}{lt}", highlight=False, markup=False)
            for problem in sig.problems:
                out.print(f"    - {problem}", highlight=False, markup=False)
        for problem in report.problems:
            out.print(f"  - {problem}", highlight=False, markup=False)
        if preflight:
            out.print(f"  preflight: {report.preflight}", highlight=False, markup=False)
    if failed:
        raise typer.Exit(1)
