"""``digitizer reindex`` (the nightly job) and ``digitizer check`` (the archive's sanity).

Both print a short report for people, or one JSON object with ``--json`` for the script or
timer that runs them; both exit non-zero when something needs a person (a document that
could not be re-read, a damaged or unknown file, a broken audit chain).
"""

from __future__ import annotations

import json
import sys
from functools import partial
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from digitizer.profiles import find_profile
from digitizer.seal import seal_chain
from digitizer.store import Store

_JSON = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")]
_PROFILE = Annotated[
    str | None,
    typer.Option(help="Scanner profile whose trust roots signatures must chain to."),
]

err = Console(stderr=True)


def _trust_roots(state: Any, profile: str) -> list[object]:
    prof = find_profile(state.layout.profiles_dir, profile)
    return prof.signing.trust_root_certificates(state.layout.home)


def _console() -> Console:
    """Piped to a file or a log, lines keep a readable width instead of 80 columns."""
    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)


def _bar(label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=err,
        transient=False,
    )


def _chain_words(check: dict[str, Any]) -> str:
    """How the audit chain and its seal stand, in a few words."""
    seal = check.get("seal") or {}
    sealed = not seal.get("problems")
    held = "broken" if check["audit_broken"] else "holds" if sealed else "does not match its seal"
    words = f"audit chain {held} ({check['audit_entries']} entries"
    if seal and seal["sealed_entries"] is not None:
        words += f"; sealed {seal['sealed_entries']} on {seal['sealed_at']}"
    if seal:
        words += f"; not yet sealed: {seal['not_yet_sealed']}"
    return words + ")"


def _print_check(out: Console, check: dict[str, Any]) -> None:
    """The summary line, then every problem by name in a table, then the warnings."""
    mark = "[green]OK[/]" if check["ok"] else "[red]DAMAGED[/]"
    out.print(
        f"check {mark}: {check['verified']} of {check['documents']} documents verified, "
        f"{len(check['unknown_files'])} unknown file(s), {escape(_chain_words(check))}"
    )
    if check["problems"]:
        table = Table(show_edge=False)
        table.add_column("problem", no_wrap=True)
        table.add_column("document", no_wrap=True)
        table.add_column("detail", overflow="fold")
        for p in check["problems"]:
            where = f"{p['path']}: " if p.get("path") else ""
            detail = escape(f"{where}{p['detail']}".rstrip(": "))
            table.add_row(p["problem"], escape(p.get("document_id") or ""), detail)
        out.print(table)
    if check.get("not_tied"):
        out.print(
            f"  {check['not_tied']} document(s) not tied to an audit entry (registered before "
            "state entries, unchanged since)",
            highlight=False,
        )


def reindex(
    ctx: typer.Context,
    everything: Annotated[
        bool, typer.Option("--all", help="Re-read every document, not only stale ones.")
    ] = False,
    profile: _PROFILE = None,
    as_json: _JSON = False,
) -> None:
    """Re-read documents from their stored OCR words (never OCR again) where their type's
    schema changed; retrain, re-index, recompute the rates, check the archive
    (pipelines/reindex.toml). A clerk's value is never overwritten."""
    from digitizer import reindex as job
    from digitizer.understanding.schema import load_schemas

    state: Any = ctx.obj
    state.layout.prepare()
    definition = job.load_definition(state.layout.pipelines_dir)
    schemas = load_schemas(state.layout.schemas_dir)
    prof = find_profile(state.layout.profiles_dir, profile or definition.check_profile)
    roots = _trust_roots(state, prof.name) if definition.runs("check") else []
    store = Store(state.store_url)
    try:
        total = job.count_candidates(store, schemas, everything)
        seal = partial(seal_chain, store, state.layout, prof)
        run = partial(
            job.run,
            store,
            state.layout,
            schemas,
            definition,
            everything=everything,
            trust_roots=roots,
            seal=seal,
        )
        if as_json:
            summary = run()
        else:
            with _bar("re-indexing") as bar:
                task = bar.add_task("reindex", total=total, current="")
                summary = run(on_document=lambda d: bar.update(task, advance=1, current=d))
    finally:
        store.close()
    data = summary.to_json()
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        out = _console()
        out.print(
            f"re-index: {data['examined']} examined, {data['changed']} changed, "
            f"{data['unchanged']} unchanged, {data['kept_clerk_values']} clerk value(s) kept, "
            f"{data['errors']} error(s)"
        )
        for doc_id in data["error_documents"]:
            out.print(f"  - could not re-read {doc_id} (see the log)", highlight=False)
        if data["retrained"] is not None:
            r = data["retrained"]
            out.print(
                f"classifier: retrained on {r['documents']} documents"
                if r["trained"]
                else f"classifier: not retrained: {r['reason']}",
                markup=False,
            )
        if data["text_indexed"] is not None:
            out.print(f"full-text index: {data['text_indexed']} document(s) added")
        if data["rates"] is not None:
            rates = data["rates"]
            out.print(
                "rates: "
                + ", ".join(f"{k} {v}" for k, v in rates.items() if not isinstance(v, dict)),
                markup=False,
            )
        if data["check"] is not None:
            _print_check(out, data["check"])
    if not summary.ok:
        raise typer.Exit(1)


def check(ctx: typer.Context, profile: _PROFILE = None, as_json: _JSON = False) -> None:
    """Check the archive: every signed PDF there, unchanged, its signature verifying, the
    one its record names; every document's state the one its audit trail recorded; no
    unknown files; the audit chain intact and sealed. Reports only: nothing is deleted."""
    from digitizer.check import check_archive, count_documents

    state: Any = ctx.obj
    roots = _trust_roots(state, profile or "default")
    store = Store(state.store_url)
    try:
        if as_json:
            report = check_archive(store, state.layout.archive, roots, layout=state.layout)
        else:
            with _bar("checking") as bar:
                task = bar.add_task("check", total=count_documents(store), current="")
                report = check_archive(
                    store,
                    state.layout.archive,
                    roots,
                    layout=state.layout,
                    on_document=lambda d: bar.update(task, advance=1, current=d),
                )
    finally:
        store.close()
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        _print_check(_console(), report.to_json())
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("reindex")(reindex)
    app.command("check")(check)
