"""``digitizer store merge``: bring a workstation's store and archive into this one.

The step between one workstation and the province set-up (README): the office's SQLite store
and signed PDFs go into the shared PostgreSQL store and archive, and the workstation carries
on against the shared store. Run it again after a stop: what is already there is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from digitizer.display import printable
from digitizer.errors import ConfigurationError
from digitizer.profiles import ScannerProfile, find_profile
from digitizer.seal import seal_chain
from digitizer.store import Store, default_url
from digitizer.store.store import shown_url

store_app = typer.Typer(no_args_is_help=True, help="The store itself: merging other stores in.")
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add ``digitizer store`` to the main app."""
    app.add_typer(store_app, name="store")


@store_app.command("merge")
def merge(
    ctx: typer.Context,
    from_home: Annotated[
        Path,
        typer.Argument(
            metavar="HOME", help="The workstation's home folder (its digitizer.db and archive)."
        ),
    ],
    from_url: Annotated[
        str | None,
        typer.Option(help="The workstation's store, if not the SQLite file in HOME."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    profile: Annotated[
        str,
        typer.Option(
            help="Scanner profile whose trust roots the workstation's signatures must chain "
            "to, and whose signing key seals the audit chain."
        ),
    ] = "default",
    trust_ca: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust-ca",
            metavar="FILE",
            help="Also trust this CA certificate (PEM or DER; repeatable): for a workstation "
            "signed by a CA the profile does not list yet (add it to the profile's "
            "trust_roots too, for 'digitizer check').",
        ),
    ] = None,
) -> None:
    """Merge another store (documents, pages, words, fields, dossiers, reuse events,
    journal, audit trail) and its signed PDFs into this home's store and archive. The source
    is only read and not trusted: a document that fails a check is not merged and is
    reported, and a source whose audit chain or seal does not hold is refused."""
    from digitizer.store.merge import StoreMerge

    state: Any = ctx.obj
    home = from_home.expanduser().resolve()
    source_url = from_url or default_url(home)
    if not from_url and not (home / "digitizer.db").is_file():
        raise ConfigurationError(f"{from_home}: no digitizer.db here (give --from-url)")
    if source_url == state.store_url or home == state.layout.home.resolve():
        raise ConfigurationError("the source is this store itself: nothing to merge")
    state.layout.prepare()
    prof = find_profile(state.layout.profiles_dir, profile)
    roots = _trust_roots(prof, state.layout.home, trust_ca or [])
    source, target = Store(source_url), Store(state.store_url)
    try:
        job = StoreMerge(source, target, state.layout, home, trust_roots=roots)
        with Progress(
            TextColumn("[bold]merge"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=as_json,
        ) as bar:
            task = bar.add_task("documents", total=job.documents_to_merge())
            report = job.run(on_document=lambda: bar.advance(task))
        seal_chain(target, state.layout, prof)
    finally:
        source.close()
        target.close()
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        out = Console()
        out.print(f"merged {shown_url(source_url)}", markup=False, highlight=False)
        table = Table()
        table.add_column("what")
        table.add_column("count", justify="right")
        for name, value in report.to_json().items():
            if name != "refused":
                table.add_row(name.replace("_", " "), str(value))
        table.add_row("documents refused", str(len(report.refused)))
        out.print(table)
        for line in report.refused:
            err.print(f"refused: {printable(line)}", markup=False, highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


def _trust_roots(prof: ScannerProfile, home: Path, extra: Sequence[Path]) -> list[Any]:
    """The CAs a merged PDF (and the workstation's seal) must chain to: exactly what
    ``digitizer check`` of this home accepts (the profile's ``trust_roots``, with this home's
    demo CA when it has one), plus the CAs given with ``--trust-ca``. Never a CA found in
    the workstation's home: shipped inside the untrusted source, it would prove nothing."""
    from digitizer.timestamping import load_certificates  # heavy: pyHanko

    roots = prof.signing.trust_root_certificates(home) + list(load_certificates(extra))
    if not roots:
        raise ConfigurationError(
            f"no CA to check the workstation's signatures against: profile '{prof.name}' "
            "names no trust_roots and this home has no demo CA; give the workstation's CA "
            "with --trust-ca FILE"
        )
    return roots
