"""The ``digitizer`` command line.

A stable contract that others script against: ``process --json`` prints one JSON object per
document per line on stdout; every error is one line on stderr with a non-zero exit code.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from digitizer import (
    __version__,
    cli_hotfolder,
    cli_lookup,
    cli_reindex,
    cli_review,
    cli_schemas,
    cli_serve,
    cli_signing,
    cli_stats,
    cli_store,
    cli_users,
)
from digitizer import batch as batch_cli
from digitizer.config import Layout, default_config_root, default_home
from digitizer.display import PrintableFormatter, markup_safe, printable
from digitizer.distributed import worker as worker_cli
from digitizer.errors import DigitizerError, DiskFullError
from digitizer.profiles import find_profile
from digitizer.records import DocumentResult
from digitizer.seal import seal_chain
from digitizer.store import Store, default_url
from digitizer.understanding.schema import load_schemas

if TYPE_CHECKING:  # the runner pulls in OCR and signing: imported when a run starts
    from digitizer.runner import Run

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Digitize OSS dossiers: scans in, signed searchable PDF/A out.",
)
classifier_app = typer.Typer(no_args_is_help=True, help="The learned document-type model.")
app.add_typer(classifier_app, name="classifier")
batch_cli.register(app)
cli_hotfolder.register(app)
cli_review.register(app)
cli_schemas.register(app)
cli_users.register(app)
cli_serve.register(app)
cli_lookup.register(app)
cli_stats.register(app)
cli_signing.register(app)
cli_reindex.register(app)
worker_cli.register(app)
cli_store.register(app)

err = Console(stderr=True)


class _State:
    def __init__(self, home: Path, config: Path) -> None:
        self.layout = Layout(home=home, config_root=config)

    @property
    def store_url(self) -> str:
        return os.environ.get("DIGITIZER_DB_URL") or default_url(self.layout.home)


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            help="Folder for all state (database, archive, keys). Default: $DIGITIZER_HOME "
            "or ~/.local/share/digitizer."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="Folder holding scanner_profiles/, pipelines/, schemas/. "
            "Default: $DIGITIZER_CONFIG or the installed checkout."
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    ctx.obj = _State(
        (home or default_home()).expanduser().resolve(),
        (config or default_config_root()).expanduser().resolve(),
    )


@app.command()
def process(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Scan files or folders of scans.")],
    profile: Annotated[str, typer.Option(help="Scanner profile name.")] = "default",
    workers: Annotated[int, typer.Option(help="Worker processes (default: all cores).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per document.")] = False,
) -> None:
    """Process files now: OCR, PDF/A, sign, register. Originals are never changed."""
    state: _State = ctx.obj
    prof = find_profile(state.layout.profiles_dir, profile)
    from digitizer.runner import Run, collect_inputs, prepare  # heavy: OCR, signing

    plan = prepare(state.layout, prof)
    files = collect_inputs(paths)
    store = Store(state.store_url)
    n_workers = workers if workers > 0 else (os.cpu_count() or 1)
    run = Run(plan, store, n_workers)
    results: list[DocumentResult] = []
    started = time.perf_counter()
    try:
        _run_files(run, files, results, as_json=as_json)
    except DiskFullError:
        if not as_json:  # what was done before the disk filled, then the one-line stop
            _print_summary(results, state.layout, store.url, prof.name, _since(started))
        store.close()  # no seal: there is no room to write it (the next run seals)
        raise
    if not as_json:
        _print_summary(results, state.layout, store.url, prof.name, _since(started))
    seal_chain(store, state.layout, plan.settings.signing or prof)
    store.close()
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


def _since(started: float) -> float:
    return time.perf_counter() - started


def _run_files(
    run: Run, files: list[Path], results: list[DocumentResult], *, as_json: bool
) -> None:
    """Process ``files``, appending each result as it is committed: a JSON line each, or a
    progress bar on stderr."""
    if as_json:
        for result in run.results(files):
            results.append(result)
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        return
    with Progress(
        TextColumn("[bold]processing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[pages]} pages"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[current]}"),
        console=err,
        transient=False,
    ) as bar:
        task = bar.add_task("process", total=len(files), pages=0, current="")
        pages = 0
        for result in run.results(files):
            results.append(result)
            pages += len(result.pages)
            current = markup_safe(Path(result.source).name)
            bar.update(task, advance=1, pages=pages, current=current)


def _print_summary(
    results: list[DocumentResult], layout: Layout, url: str, profile: str, seconds: float
) -> None:
    # Piped to a file or a log, the table keeps a readable width instead of 80 columns.
    out = Console(width=None if sys.stdout.isatty() else 150)
    table = Table(title=f"digitizer {__version__}: {len(results)} file(s), profile '{profile}'")
    table.add_column("file", overflow="fold", min_width=16)
    table.add_column("status", no_wrap=True)
    table.add_column("pages", justify="right")
    table.add_column("turned", justify="right")
    table.add_column("ocr conf", justify="right")
    table.add_column("type")
    table.add_column("document / error", overflow="fold")
    for r in sorted(results, key=lambda r: r.source):
        text_pages = [p for p in r.pages if p.words]
        conf = sum(p.ocr_confidence for p in text_pages) / len(text_pages) if text_pages else None
        turned = sorted({p.rotation for p in r.pages if p.rotation})
        colour = {
            "registered": "green",
            "needs_review": "magenta",
            "duplicate": "yellow",
            "failed": "red",
        }.get(r.status, "white")
        table.add_row(
            markup_safe(Path(r.source).name),
            f"[{colour}]{r.status}[/]",
            str(len(r.pages) or ""),
            ",".join(f"{t}°" for t in turned),
            f"{conf:.0f}" if conf is not None else "",
            markup_safe(r.doc_type) if r.status != "failed" else "",
            markup_safe(r.error or r.document_id or ""),
        )
    out.print(table)
    counts = Counter(r.status for r in results)
    pages = sum(len(r.pages) for r in results)
    rate = f", {pages / seconds * 60:.0f} pages/min" if pages and seconds > 0 else ""
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to do"
    out.print(f"{summary}; {pages} pages in {seconds:.1f} s{rate}")
    out.print(f"signed PDFs: {layout.archive}/<id[:2]>/<id>.pdf\nstore: {url}")


@classifier_app.command("train")
def classifier_train(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Train the document-type model from the store's confirmed documents."""
    state: _State = ctx.obj
    state.layout.prepare()
    from digitizer.understanding.layout import fold_text
    from digitizer.understanding.learned import train  # heavy: scikit-learn

    schemas = load_schemas(state.layout.schemas_dir)
    store = Store(state.store_url)
    confirmed = store.confirmed_documents()
    store.close()
    report = train(
        [fold_text(text) for _, text in confirmed],
        [doc_type for doc_type, _ in confirmed],
        schemas.fingerprint,
        state.layout.doctype_model,
    )
    if as_json:
        print(
            json.dumps(
                {
                    "documents": report.documents,
                    "per_type": report.per_type,
                    "cross_validated_accuracy": report.cross_validated_accuracy,
                    "model": str(report.path),
                },
                ensure_ascii=False,
            )
        )
        return
    out = Console()
    out.print(f"trained on {report.documents} confirmed documents: {report.per_type}")
    if report.cross_validated_accuracy is not None:
        out.print(f"cross-validated accuracy: {100 * report.cross_validated_accuracy:.1f} %")
    out.print(f"model: {report.path}")


def main() -> None:
    """Entry point: turn every DigitizerError into one line and its exit code."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    # The store holds names and personal ID numbers, the archive the signed papers: whatever
    # the umask of the shell or service, what digitizer creates is its user's alone.
    os.umask(0o077)
    try:
        code = app(standalone_mode=False)
    except DigitizerError as exc:
        err.print(
            f"digitizer: error: {printable(exc)}", highlight=False, markup=False, soft_wrap=True
        )
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("digitizer: interrupted", highlight=False)
        sys.exit(130)
    except typer.Abort:
        err.print("digitizer: aborted", highlight=False)
        sys.exit(1)
    except typer.TyperException as exc:  # usage errors: a bad option, a missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"digitizer: error: {printable(exc)}", highlight=False, markup=False)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    sys.exit(code if isinstance(code, int) else 0)
