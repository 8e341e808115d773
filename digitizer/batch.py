"""``digitizer batch``: a whole archive tree in one run, resumable, in flat memory.

Archive teams feed years of land records at once: tens of thousands of files, runs that
last days and get interrupted. So a batch

* walks the tree like ``process`` does (hidden files, ``~*`` lock files and non-scans are
  left alone) and hands the files to :class:`~digitizer.runner.Run` a chunk at a time, so
  only one chunk is ever hashed and queued ahead of the workers;
* keeps counters and nothing else per file: every result (which holds every OCR word) is
  printed, counted and dropped, and failures are streamed to a CSV as they happen;
* resumes: a file whose content is already registered is not processed again, and is
  reported as *skipped* rather than as a duplicate met inside this run;
* only reads the originals: nothing is modified, moved or deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, Protocol, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from digitizer import __version__
from digitizer.config import Layout
from digitizer.display import markup_safe, printable
from digitizer.distributed.queue import DEFAULT_BROKER_URL, QueueSettings
from digitizer.distributed.worker import BrokerOption
from digitizer.errors import ConfigurationError
from digitizer.failure_report import FailureReport, default_failures_path
from digitizer.profiles import find_profile
from digitizer.records import DocumentResult
from digitizer.seal import seal_chain
from digitizer.store import Store
from digitizer.store.models import Document

if TYPE_CHECKING:  # the runner pulls in OCR and signing: imported when a batch runs
    from digitizer.distributed.producer import Producer
    from digitizer.runner import Run, RunPlan

log = logging.getLogger(__name__)

# Files hashed and queued ahead of the workers at a time. What a chunk holds is a few hundred
# bytes per file; the price of a chunk is a pool start (a second or two) and its tail, so it
# is large enough that both vanish beside the OCR of its files.
CHUNK_FILES = 256

Outcome = Literal["registered", "needs_review", "duplicate", "skipped", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("registered", "needs_review", "duplicate", "skipped", "failed")
_OUTCOME_LABELS = {
    "registered": "registered",
    "needs_review": "needs_review",
    "duplicate": "duplicate (same content twice in this run)",
    "skipped": "skipped (already registered)",
    "failed": "failed",
}
_COLOURS = {"registered": "green", "needs_review": "magenta", "duplicate": "yellow"}


class CliState(Protocol):
    """What the ``digitizer`` root command leaves in ``ctx.obj`` (see :mod:`digitizer.cli`)."""

    @property
    def layout(self) -> Layout: ...

    @property
    def store_url(self) -> str: ...


# ----------------------------------------------------------------------------- counting


def outcome_of(result: DocumentResult, store: Store, since: dt.datetime) -> Outcome:
    """Tell a file registered before this batch began (a resume) from a true duplicate.

    ``Run`` reports both as ``duplicate``. A duplicate met inside one chunk has no document
    yet; otherwise the document's registration time says whether an earlier run or this one
    registered it: one indexed look-up, and only for duplicates.
    """
    if result.status != "duplicate":
        return cast(Outcome, result.status)
    if result.output is None:
        return "duplicate"
    existing = store.document_by_sha256(result.sha256)
    if existing is None:
        return "duplicate"
    return "skipped" if registered_before(existing, since) else "duplicate"


def registered_before(document: Document, since: dt.datetime) -> bool:
    """Whether ``document`` was registered before ``since`` (a batch's start): by an earlier
    run, so a batch that meets it again is resuming."""
    created = document.created_at
    if created.tzinfo is None:  # SQLite hands back the UTC time it stored, without its zone
        created = created.replace(tzinfo=dt.UTC)
    return created < since


@dataclass(frozen=True, slots=True)
class FileReport:
    """What a batch keeps of one file: its JSON line and what the counters need.

    The same whether a local pool or a distant worker digitized the file.
    """

    record: dict[str, object]  # DocumentResult.to_json(): the --json line
    outcome: Outcome
    pages: int
    peak_rss_mb: float = 0.0

    @classmethod
    def of(cls, result: DocumentResult, outcome: Outcome) -> FileReport:
        return cls(result.to_json(), outcome, len(result.pages), result.peak_rss_mb)

    @property
    def source(self) -> str:
        return str(self.record["source"])

    @property
    def doc_type(self) -> str:
        return str(self.record.get("doc_type") or "unknown")


@dataclass(slots=True)
class BatchTally:
    """Counters only, never the documents: the summary of a million files fits in a line."""

    total_files: int
    outcomes: Counter[str] = field(default_factory=Counter)
    doc_types: Counter[str] = field(default_factory=Counter)
    pages: int = 0
    worker_peak_rss_mb: float = 0.0

    @property
    def done(self) -> int:
        return sum(self.outcomes.values())

    def add(self, report: FileReport) -> None:
        self.outcomes[report.outcome] += 1
        self.pages += report.pages
        if report.outcome in ("registered", "needs_review"):
            self.doc_types[report.doc_type] += 1
        self.worker_peak_rss_mb = max(self.worker_peak_rss_mb, report.peak_rss_mb)

    def pages_per_min(self, seconds: float) -> float:
        return self.pages / seconds * 60 if seconds > 0 else 0.0

    def eta_seconds(self, seconds: float) -> float | None:
        """Time left at the pace of the files really processed so far.

        Skipped files cost next to nothing, so counting them in the pace would promise a
        resumed run the end far too early; the estimate errs on the long side instead.
        """
        worked = self.done - self.outcomes["skipped"]
        if worked == 0:
            return None
        return seconds / worked * (self.total_files - self.done)

    def to_json(self, seconds: float, failures_csv: Path | None) -> dict[str, object]:
        return {
            "files": self.total_files,
            "status": {outcome: self.outcomes[outcome] for outcome in OUTCOMES},
            "doc_types": dict(sorted(self.doc_types.items())),
            "pages": self.pages,
            "seconds": round(seconds, 2),
            "pages_per_min": round(self.pages_per_min(seconds), 1),
            "failures_csv": str(failures_csv) if failures_csv else None,
            "peak_rss_mb": {
                "batch": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "worker": round(self.worker_peak_rss_mb, 1),
            },
        }


# ----------------------------------------------------------------------------- the run


def iter_batch(
    run: Run, store: Store, files: list[Path], *, since: dt.datetime, chunk_files: int
) -> Iterator[FileReport]:
    """Every file's report, one chunk of files at a time."""
    for start in range(0, len(files), chunk_files):
        chunk = files[start : start + chunk_files]
        log.info("batch: files %d-%d of %d", start + 1, start + len(chunk), len(files))
        for result in run.results(chunk):
            yield FileReport.of(result, outcome_of(result, store, since))


def _progress(console: Console, *, show: bool) -> Progress:
    return Progress(
        TextColumn("[bold]batch"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[pages]} pages"),
        TextColumn("{task.fields[rate]} pages/min"),
        TimeElapsedColumn(),
        TextColumn("ETA {task.fields[eta]}"),
        TextColumn("{task.fields[current]}", markup=False),
        console=console,
        redirect_stdout=False,  # stdout carries the JSON lines, never the bar
        disable=not show,
    )


def _clock(seconds: float | None) -> str:
    return "?" if seconds is None else str(dt.timedelta(seconds=round(seconds)))


def register(app: typer.Typer) -> None:
    """Add ``digitizer batch`` to the main app."""
    app.command(name="batch")(batch_command)


def batch_command(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Folder of scans, walked with its subfolders.")
    ],
    profile: Annotated[
        str,
        typer.Option(
            help="Scanner profile name, e.g. archive-land. Required: redoing years of records "
            "with the wrong unit or PDF/A level is expensive."
        ),
    ],
    workers: Annotated[int, typer.Option(help="Worker processes (default: all cores).")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per document, then a summary.")
    ] = False,
    failures_csv: Annotated[
        Path | None,
        typer.Option(
            "--failures-csv",
            help="Where to write the failed files (source, sha256, error). Default: "
            "$DIGITIZER_HOME/reports/batch-<time>-failures.csv, only if something failed.",
        ),
    ] = None,
    distributed: Annotated[
        bool,
        typer.Option(
            "--distributed",
            help="Enqueue the files for 'digitizer worker' processes (Celery on Redis, shared "
            "PostgreSQL store) instead of digitizing them here; --workers is then ignored.",
        ),
    ] = False,
    broker: BrokerOption = DEFAULT_BROKER_URL,
    chunk_files: Annotated[int, typer.Option(min=1, hidden=True)] = CHUNK_FILES,
    lost_check_seconds: Annotated[float, typer.Option(min=0.1, hidden=True)] = 60.0,
) -> None:
    """Digitize a whole folder tree; a re-run skips what is registered. Originals untouched."""
    state: CliState = ctx.obj
    layout = state.layout
    prof = find_profile(layout.profiles_dir, profile)
    if not directory.is_dir():
        problem = "not a folder" if directory.exists() else "no such folder"
        raise ConfigurationError(
            f"{directory}: {problem}; batch walks a folder of scans "
            "(use 'digitizer process' for single files)"
        )
    from digitizer.runner import Run, collect_inputs, prepare

    producer: Producer | None = None
    plan: RunPlan | None = None
    if distributed:  # workers elsewhere read the files: they are named by absolute paths
        from digitizer.distributed.producer import Producer

        producer = Producer(
            QueueSettings(broker_url=broker),
            state.store_url,
            lost_check_seconds=lost_check_seconds,
        )
        directory = directory.resolve()
    else:
        plan = prepare(layout, prof)
    files = collect_inputs([directory])
    started_at = dt.datetime.now(dt.UTC)
    path = failures_csv or default_failures_path(layout.home, started_at.astimezone())
    err = Console(stderr=True, width=None if sys.stderr.isatty() else 150)
    tally = BatchTally(total_files=len(files))
    started = time.perf_counter()
    with FailureReport(path, named_by_user=failures_csv is not None) as failures:
        store = Store(state.store_url)
        try:
            results: Iterator[FileReport]
            if producer is not None:
                results = producer.reports(
                    store, files, profile=prof, home=layout.home, since=started_at
                )
            else:
                assert plan is not None
                run = Run(plan, store, workers if workers > 0 else (os.cpu_count() or 1))
                results = iter_batch(run, store, files, since=started_at, chunk_files=chunk_files)
            # Under --json the bar shows only where it cannot garble the JSON lines.
            show_bar = not as_json or (err.is_terminal and not sys.stdout.isatty())
            with _progress(err, show=show_bar) as bar:
                task = bar.add_task("batch", total=len(files), pages=0, rate=0, eta="?", current="")
                for report in results:
                    tally.add(report)
                    if report.outcome == "failed":
                        failures.add(report)
                    if as_json:
                        print(json.dumps(report.record, ensure_ascii=False), flush=True)
                    seconds = time.perf_counter() - started
                    bar.update(
                        task,
                        advance=1,
                        pages=tally.pages,
                        rate=f"{tally.pages_per_min(seconds):.0f}",
                        eta=_clock(tally.eta_seconds(seconds)),
                        current=printable(Path(report.source).name),
                    )
            seal_chain(store, layout, plan.settings.signing if plan is not None else prof)
        except KeyboardInterrupt:
            _report(err, tally, time.perf_counter() - started, prof.name, failures.written)
            if producer is not None and producer.outstanding:
                err.print(
                    f"{producer.outstanding} file(s) already queued will still be digitized by "
                    "the workers",
                    highlight=False,
                )
            err.print("interrupted: run the same command again to resume", highlight=False)
            raise
        finally:
            store.close()
            if producer is not None:
                producer.close()
    seconds = time.perf_counter() - started
    _report(err, tally, seconds, prof.name, failures.written)
    if as_json:
        print(json.dumps({"summary": tally.to_json(seconds, failures.written)}), flush=True)
    if tally.outcomes["failed"]:
        raise typer.Exit(1)


def _report(
    out: Console, tally: BatchTally, seconds: float, profile: str, failures: Path | None
) -> None:
    """The end-of-run summary for the operator, on stderr (stdout is for the JSON)."""
    out.print(
        f"digitizer {__version__} batch: {tally.total_files} file(s), profile '{profile}'",
        highlight=False,
        markup=False,
    )
    statuses = Table()
    statuses.add_column("status")
    statuses.add_column("files", justify="right")
    for outcome in OUTCOMES:
        colour = _COLOURS.get(outcome, "red" if tally.outcomes[outcome] else "white")
        statuses.add_row(f"[{colour}]{_OUTCOME_LABELS[outcome]}[/]", str(tally.outcomes[outcome]))
    out.print(statuses)
    if tally.doc_types:
        types = Table()
        types.add_column("document type (this run)")
        types.add_column("documents", justify="right")
        for doc_type, count in sorted(tally.doc_types.items()):
            types.add_row(markup_safe(doc_type), str(count))
        out.print(types)
    out.print(
        f"{tally.pages} pages in {_clock(seconds)} ({seconds:.1f} s), "
        f"{tally.pages_per_min(seconds):.0f} pages/min",
        highlight=False,
    )
    if failures is not None:
        out.print(f"failures: {printable(failures)}", highlight=False, markup=False, soft_wrap=True)
