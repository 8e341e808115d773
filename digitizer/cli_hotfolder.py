"""``digitizer watch`` and ``digitizer profiles``: the commands of a workstation's IT.

Registered on the main app by :mod:`digitizer.cli`; kept apart so the CLI module stays one
screenful per concern.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from digitizer.config import Layout
from digitizer.display import markup_safe
from digitizer.errors import DigitizerError
from digitizer.hotfolder.folders import hot_folder_layout
from digitizer.pipelines import load_pipeline
from digitizer.profiles import find_profile, load_profile
from digitizer.records import DocumentResult
from digitizer.seal import periodic_sealer, seal_chain
from digitizer.store import Store

log = logging.getLogger(__name__)

profiles_app = typer.Typer(no_args_is_help=True, help="Scanner profiles (scanner_profiles/).")
err = Console(stderr=True)

_COLOURS = {"registered": "green", "needs_review": "magenta", "duplicate": "yellow"}


def _layout(ctx: typer.Context) -> tuple[Layout, str]:
    state: Any = ctx.obj
    return state.layout, state.store_url


def register(app: typer.Typer) -> None:
    """Add ``digitizer watch`` and ``digitizer profiles`` to the main app."""
    app.command(name="watch")(watch)
    app.add_typer(profiles_app, name="profiles")


def watch(
    ctx: typer.Context,
    profile: Annotated[str, typer.Option(help="Scanner profile with a [hot_folder].")] = "default",
    workers: Annotated[int, typer.Option(help="Worker processes (default: all cores).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per document.")] = False,
    idle_exit: Annotated[
        float | None,
        typer.Option(help="Exit after this many seconds with nothing to do (scripted runs)."),
    ] = None,
) -> None:
    """Watch the profile's hot folder(s): every complete scan is processed, then its
    original is moved to processed/YYYY/MM/DD/ (or failed/ with a .error.txt)."""
    layout, url = _layout(ctx)
    prof = find_profile(layout.profiles_dir, profile)
    folders = hot_folder_layout(prof, layout.home)
    for folder in folders.inputs:
        folder.mkdir(parents=True, exist_ok=True)
    from digitizer.hotfolder.watcher import Watcher  # heavy: OCR, signing
    from digitizer.runner import Run, prepare

    plan = prepare(layout, prof)
    store = Store(url)
    n_workers = workers if workers > 0 else (os.cpu_count() or 1)
    maybe_seal = periodic_sealer(store, layout, plan.settings.signing or prof)

    def report(result: DocumentResult) -> None:
        maybe_seal()
        if as_json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
            return
        colour = _COLOURS.get(result.status, "red")
        detail = result.error if result.status == "failed" else result.doc_type
        err.print(
            f"[{colour}]{result.status:12}[/] {markup_safe(Path(result.source).name)}  "
            f"{len(result.pages)} p  {markup_safe(detail)}",
            highlight=False,
        )

    watcher = Watcher(
        prof, folders, Run(plan, store, n_workers), store, on_result=report, idle_exit=idle_exit
    )
    err.print(
        f"watching {', '.join(map(str, folders.inputs))} "
        f"({'polling' if prof.hot_folder.polling else 'file events'}, profile '{prof.name}', "
        f"{n_workers} workers); processed -> {folders.processed}, failed -> {folders.failed}",
        highlight=False,
    )
    stats = watcher.serve()
    seal_chain(store, layout, plan.settings.signing or prof)
    store.close()
    summary = ", ".join(f"{n} {s}" for s, n in sorted(stats.by_status.items())) or "nothing"
    err.print(f"stopped: {summary}; {stats.pages} pages", highlight=False)


@profiles_app.command("list")
def profiles_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the scanner profiles with their pipeline, unit and hot folders."""
    layout, _ = _layout(ctx)
    rows = []
    for path in sorted(layout.profiles_dir.glob("*.toml")):
        try:
            p = load_profile(path)
            rows.append(
                {
                    "name": p.name,
                    "pipeline": p.pipeline,
                    "unit_code": p.unit_code,
                    "pdfa_level": p.pdfa_level,
                    "hot_folders": [str(f) for f in p.hot_folder.paths],
                    "documents": "one per file" if p.stacks.mode == "file" else "page stacks",
                    "blank_pages": p.blank_pages,
                    "description": p.description,
                    "error": None,
                }
            )
        except DigitizerError as exc:
            rows.append({"name": path.stem, "error": str(exc)})
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"scanner profiles in {layout.profiles_dir}")
    for column in (
        "name",
        "pipeline",
        "unit",
        "PDF/A",
        "hot folders",
        "documents",
        "blank pages",
        "description",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        if row["error"]:
            error = markup_safe(row["error"])
            table.add_row(markup_safe(row["name"]), "", "", "", "", "", "", f"[red]{error}[/]")
        else:
            table.add_row(
                str(row["name"]),
                str(row["pipeline"]),
                str(row["unit_code"]),
                str(row["pdfa_level"]),
                "\n".join(row["hot_folders"]),  # type: ignore[arg-type]
                str(row["documents"]),
                str(row["blank_pages"]),
                str(row["description"]),
            )
    Console().print(table)


@profiles_app.command("check")
def profiles_check(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="Profiles (default: all).")] = None,
) -> None:
    """Validate profiles: every key, the pipeline they name, their hot-folder layout."""
    layout, _ = _layout(ctx)
    paths = (
        [layout.profiles_dir / f"{n}.toml" for n in names]
        if names
        else sorted(layout.profiles_dir.glob("*.toml"))
    )
    failed = 0
    for path in paths:
        try:
            prof = load_profile(path) if path.exists() else find_profile(path.parent, path.stem)
            load_pipeline(layout.pipelines_dir, prof.pipeline)
            notes = ""
            if prof.hot_folder.paths:
                folders = hot_folder_layout(prof, layout.home)
                notes = f" (hot folders: {', '.join(map(str, folders.inputs))})"
            err.print(f"[green]ok[/]     {markup_safe(prof.name + notes)}", highlight=False)
        except DigitizerError as exc:
            failed += 1
            err.print(f"[red]error[/]  {markup_safe(exc)}", highlight=False, markup=True)
    if failed:
        raise typer.Exit(1)
