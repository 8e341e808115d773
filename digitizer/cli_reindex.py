"""``digitizer reindex`` (the nightly job) and ``digitizer check`` (the archive's sanity).

Both print a short report for people, or one JSON object with ``--json`` for the script or
timer that runs them; both exit non-zero when something needs a person (a document that
could not be re-read, a damaged or unknown file, a broken audit chain).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from digitizer.profiles import find_profile
from digitizer.store import Store

_JSON = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")]
_PROFILE = Annotated[
    str | None,
    typer.Option(help="Scanner profile whose trust roots signatures must chain to."),
]

err = Console(stderr=True)


def _trust_roots(state: Any, profile: str) -> list[object]:
    from digitizer.timestamping import load_certificates  # heavy: pyHanko

    prof = find_profile(state.layout.profiles_dir, profile)
    return list(load_certificates(prof.signing.trust_root_paths(state.layout.home)))


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


def _print_check(out: Console, check: dict[str, Any]) -> None:
    mark = "[green]OK[/]" if check["ok"] else "[red]DAMAGED[/]"
    out.print(
        f"check {mark}: {check['verified']} of {check['documents']} signed PDFs verified, "
        f"{len(check['unknown_files'])} unknown file(s), audit chain "
        f"{'broken at ' + check['audit_broken'] if check['audit_broken'] else 'holds'} "
        f"({check['audit_entries']} entries)"
    )
    for d in check["damaged"]:
        out.print(
            f"  - {d['document_id']} {d['problem']}: {d['path']}: {d['detail']}",
            markup=False,
            highlight=False,
        )
    for path in check["unknown_files"]:
        out.print(f"  - unknown file (no record): {path}", markup=False, highlight=False)


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
    roots = (
        _trust_roots(state, profile or definition.check_profile) if definition.runs("check") else []
    )
    store = Store(state.store_url)
    try:
        total = job.count_candidates(store, schemas, everything)
        if as_json:
            summary = job.run(
                store, state.layout, schemas, definition, everything=everything, trust_roots=roots
            )
        else:
            with _bar("re-indexing") as bar:
                task = bar.add_task("reindex", total=total, current="")
                summary = job.run(
                    store,
                    state.layout,
                    schemas,
                    definition,
                    everything=everything,
                    trust_roots=roots,
                    on_document=lambda d: bar.update(task, advance=1, current=d),
                )
    finally:
        store.close()
    data = summary.to_json()
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        out = Console(soft_wrap=True)
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
    """Check the archive: every signed PDF there, unchanged, its signature verifying; no
    unknown files; the audit chain intact. Reports only: nothing is deleted."""
    from digitizer.check import check_archive, count_documents

    state: Any = ctx.obj
    roots = _trust_roots(state, profile or "default")
    store = Store(state.store_url)
    try:
        if as_json:
            report = check_archive(store, state.layout.archive, roots)
        else:
            with _bar("checking") as bar:
                task = bar.add_task("check", total=count_documents(store), current="")
                report = check_archive(
                    store,
                    state.layout.archive,
                    roots,
                    on_document=lambda d: bar.update(task, advance=1, current=d),
                )
    finally:
        store.close()
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        _print_check(Console(soft_wrap=True), report.to_json())
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("reindex")(reindex)
    app.command("check")(check)
