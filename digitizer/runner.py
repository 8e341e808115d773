"""Run the pipeline over many files: preflight, dedupe, a process pool, registration.

The parent process is the only writer of the store. Workers return results; the parent
registers a document only after its signed PDF is durable on disk, so an interrupted run
leaves nothing half-registered and a re-run finishes the job (outputs are named by content).
Originals are only read, never changed, moved or deleted here.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from digitizer.claims import ContentClaims
from digitizer.commit import (
    commit,
    discard_unregistered,
    duplicate_of,
    job_for,
    screen,
    short_of_space,
)
from digitizer.config import Layout
from digitizer.diskspace import disk_full, ensure_free
from digitizer.errors import ConfigurationError, DiskFullError, StoreError
from digitizer.keys import init_demo_keys
from digitizer.lifeline import exit_with
from digitizer.ocr import check_languages, engine_version, find_tessdata
from digitizer.pipelines import PipelineDefinition, load_pipeline
from digitizer.profiles import ScannerProfile
from digitizer.records import DocumentResult
from digitizer.signing import SignerSpec, open_signer, spec_for_profile
from digitizer.stages import Job, Worker, WorkerSettings
from digitizer.store import Store
from digitizer.timestamping import check_timestamp_server
from digitizer.understanding.schema import load_schemas

log = logging.getLogger(__name__)

SCAN_SUFFIXES = {".tif", ".tiff", ".jpg", ".jpeg", ".png", ".pdf"}


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What a run was prepared with (after every preflight check passed)."""

    layout: Layout
    profile: ScannerProfile
    pipeline: PipelineDefinition
    settings: WorkerSettings
    engine_version: str


def prepare(layout: Layout, profile: ScannerProfile) -> RunPlan:
    """Check everything a run needs before any file is touched.

    Missing Tesseract languages, a missing or unreadable certificate, a wrong password or a
    broken pipeline definition each stop here with one line telling the user what to do.
    """
    layout.prepare()
    pipeline = load_pipeline(layout.pipelines_dir, profile.pipeline)
    tessdata = find_tessdata()
    check_languages(profile.languages, tessdata)
    version = engine_version(profile.ocr_engine)
    spec: SignerSpec | None = None
    if pipeline.runs("sign"):
        spec = check_signing(layout, profile)
    schemas = load_schemas(layout.schemas_dir) if pipeline.runs("understand") else None
    settings = WorkerSettings(
        profile, pipeline, tessdata, layout.work, schemas, layout.doctype_model, spec
    )
    return RunPlan(layout, profile, pipeline, settings, version)


def check_signing(layout: Layout, profile: ScannerProfile) -> SignerSpec:
    """Open the key (token: log in once) and reach the timestamp server, then let go.

    A missing key, a wrong password or PIN, an absent token, an expired certificate or an
    unreachable timestamp server stop the run here, before any file is touched; each
    worker then opens its own signer (its own token session) from the returned spec.
    """
    if profile.signing.uses_demo_key:
        init_demo_keys(layout.home)
    spec = spec_for_profile(profile.signing, layout.home)
    open_signer(spec).close()
    if spec.timestamp_url:
        check_timestamp_server(spec.timestamp_url)
    return spec


def collect_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files named on the command line are taken as they are; folders are walked for scans.

    Hidden files and names that are not scans (by suffix) are skipped inside folders only:
    a file named explicitly is always tried, and rejected by content if it is no scan.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if any(part.startswith((".", "~")) for part in rel.parts):
                    continue
                if child.is_file() and child.suffix.lower() in SCAN_SUFFIXES:
                    found.append(child)
        elif path.exists() or path.is_symlink():
            found.append(path)
        else:
            raise ConfigurationError(f"no such file or folder: {path}")
    return found


class Run:
    """One ``process`` invocation over a list of files."""

    def __init__(self, plan: RunPlan, store: Store, workers: int) -> None:
        # workers read the office's learned labels from this run's store
        self.plan = replace(plan, settings=replace(plan.settings, store_url=store.url))
        self.store = store
        self.workers = max(1, workers)
        self._full: DiskFullError | None = None  # set when the disk fills: the run stops
        self._started: dict[str, Job] = {}  # started, not yet committed: by content
        profile = plan.profile
        self.unit_id = store.unit_id(profile.unit_code) if profile.unit_code else None

    def results(
        self, files: list[Path], on_start: Callable[[Path], None] | None = None
    ) -> Iterator[DocumentResult]:
        """Process ``files``, yielding each result once it is registered (or not)."""
        pending: list[list[Path]] = [list(files)]

        def refill(wait_seconds: float) -> list[Path] | None:
            return pending.pop() if pending else None

        yield from self.stream(refill, lambda: False, on_start=on_start)

    def stream(
        self,
        refill: Callable[[float], list[Path] | None],
        stopping: Callable[[], bool],
        on_start: Callable[[Path], None] | None = None,
        poll_seconds: float = 0.5,
    ) -> Iterator[DocumentResult]:
        """Process files as ``refill`` hands them over, yielding each result once committed.

        ``refill(wait_seconds)`` gives new files (waiting up to that long when nothing is in
        flight) or None when no more will ever come. Once ``stopping()`` is true, nothing new
        is started: the files in flight finish and are committed, the rest stay where they
        are for the next run. A single file runs in this process (no pool start-up cost).

        A worker that dies (killed, out of memory, a crash inside a C decoder) breaks the
        pool, and every file in flight is suspect: they are run again one at a time, so that
        only the file that really kills a worker is reported failed and nothing is lost.
        """
        claims = ContentClaims(self.plan.layout.work, self.store)
        self._full = None
        self._started = {}
        queue: deque[Job] = deque()
        deferred: deque[tuple[Path, str]] = deque()  # held by another run: tried again later
        suspects: deque[Job] = deque()
        in_flight: dict[Future[DocumentResult], Job] = {}
        alone: Job | None = None  # the suspect running on its own
        shas: set[str] = set()  # of the files queued or in flight (duplicates inside a run)
        window = 2 * self.workers  # bounded: memory stays flat however many files
        exhausted = False
        pool: ProcessPoolExecutor | None = None
        inline: Worker | None = None
        try:
            while True:
                if not exhausted and not stopping():
                    got = refill(0.0 if in_flight or queue or suspects else poll_seconds)
                    if got is None:
                        exhausted = True
                    for path in got or ():
                        early = self._screen(path, shas, claims)
                        if early is None:
                            continue  # the disk is full: the file stays for the next run
                        if isinstance(early, DocumentResult):
                            yield early
                        elif isinstance(early, Job):
                            queue.append(early)
                        else:
                            deferred.append((path, early))
                yield from self._take_deferred(deferred, queue, claims)
                halt = stopping() or self._full is not None
                if not in_flight and (halt or (exhausted and not queue and not suspects)):
                    if self._full is not None:
                        raise self._full
                    if halt or not deferred:
                        return
                    time.sleep(poll_seconds)  # only files another run is on: wait for it
                    continue
                one = exhausted and pool is None and not in_flight and len(queue) == 1
                if one and self._room():
                    job = queue.popleft()  # one file: no pool to start
                    inline = inline or Worker(self.plan.settings)
                    if on_start:
                        on_start(job.source)
                    shas.discard(job.sha256)
                    yield from self._finish(partial(inline.process, job), job, claims)
                    continue
                if not halt and (queue or suspects) and pool is None:
                    pool = self._new_pool()
                if pool is not None and not halt:
                    if suspects and not in_flight and self._room():
                        alone = suspects.popleft()
                        self._submit(pool, alone, in_flight, on_start)
                    while not suspects and alone is None and queue and len(in_flight) < window:
                        if not self._room():
                            break
                        self._submit(pool, queue.popleft(), in_flight, on_start)
                if not in_flight:
                    continue
                done, _ = wait(in_flight, timeout=poll_seconds, return_when=FIRST_COMPLETED)
                for future in done:
                    job = in_flight.pop(future)
                    if isinstance(future.exception(), BrokenProcessPool):
                        broken = [job, *in_flight.values()]
                        in_flight.clear()
                        if alone is not None:
                            yield from self._commit(_died(alone), claims)
                            shas.discard(alone.sha256)
                        else:
                            log.warning("a worker process died; rerunning %d file(s)", len(broken))
                            suspects.extend(broken)
                        alone = None
                        assert pool is not None
                        pool.shutdown(wait=True, cancel_futures=True)
                        pool = None
                        break
                    if job is alone:
                        alone = None
                    shas.discard(job.sha256)
                    yield from self._finish(future.result, job, claims)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            if inline is not None:
                inline.close()
            # stopped before committing them (an error, a second Ctrl-C): their PDFs go
            for job in self._started.values():
                discard_unregistered(self.store, job.sha256, job.output)
            self._started.clear()
            claims.close()

    def _screen(
        self, path: Path, seen: set[str], claims: ContentClaims
    ) -> DocumentResult | Job | str | None:
        """A file's result, its job, or its content hash when another run holds its claim;
        None when the store cannot take a note for want of space (the run stops)."""
        try:
            home, limit = self.plan.layout.home, self.plan.profile.max_file_mb
            found = screen(self.store, home, path, seen, limit)
            if isinstance(found, DocumentResult):
                return found
            settled = self._claimed(path, found, claims)
        except StoreError as exc:
            if not short_of_space(self.plan, exc):
                raise
            self._full = self._full or disk_full(self.plan.layout.home, exc)
            return None
        except DiskFullError as exc:  # not even room for a claim (no inodes left)
            self._full = self._full or exc
            return None
        if settled is None:
            log.info("%s: another run is digitizing the same content; waiting for it", path)
            return found
        return settled

    def _claimed(
        self, path: Path, sha256: str, claims: ContentClaims
    ) -> DocumentResult | Job | None:
        """Claim the content, then settle it: a duplicate if another run registered it
        meanwhile, else its job; None while another run holds the claim."""
        if not claims.try_claim(sha256):
            return None
        existing = self.store.document_by_sha256(sha256)
        if existing is None:
            return job_for(self.plan.layout, path, sha256)
        claims.release(sha256)
        return duplicate_of(self.store, self.plan.layout.home, str(path), sha256, existing)

    def _take_deferred(
        self, deferred: deque[tuple[Path, str]], queue: deque[Job], claims: ContentClaims
    ) -> Iterator[DocumentResult]:
        """Try again the files whose claim another run held (never waits on one)."""
        for _ in range(len(deferred)):
            path, sha256 = deferred.popleft()
            settled = self._claimed(path, sha256, claims)
            if settled is None:
                deferred.append((path, sha256))
            elif isinstance(settled, Job):
                queue.append(settled)
            else:
                yield settled

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=mp.get_context("forkserver"),
            initializer=_init_worker,
            initargs=(self.plan.settings, os.getpid()),
        )

    def _submit(
        self,
        pool: ProcessPoolExecutor,
        job: Job,
        in_flight: dict[Future[DocumentResult], Job],
        on_start: Callable[[Path], None] | None,
    ) -> None:
        if on_start:
            on_start(job.source)
        self._started[job.sha256] = job
        in_flight[pool.submit(_run_job, job)] = job

    def _room(self) -> bool:
        """Is there room for one more file? (Else the run stops: ``self._full``.)"""
        if self._full is None:
            try:
                ensure_free(self.plan.layout.home, self.plan.profile.min_free_mb)
            except DiskFullError as exc:
                self._full = exc
        return self._full is None

    def _finish(
        self, outcome: Callable[[], DocumentResult], job: Job, claims: ContentClaims
    ) -> Iterator[DocumentResult]:
        """Commit a job's result; a worker that ran out of space stops the run instead (the
        file is left for the next one, its claim let go)."""
        self._started[job.sha256] = job
        try:
            result = outcome()
        except DiskFullError as exc:
            self._full = self._full or exc
            discard_unregistered(self.store, job.sha256, job.output)
            self._forget(job.sha256, claims)
            return
        yield from self._commit(result, claims)

    def _commit(self, result: DocumentResult, claims: ContentClaims) -> Iterator[DocumentResult]:
        try:
            committed = commit(self.store, self.plan, self.unit_id, result)
        except DiskFullError as exc:  # commit removed the PDF it could not record
            self._full = self._full or exc
            self._forget(result.sha256, claims)
            return
        # any other exception (a second Ctrl-C): the job stays started, its PDF is removed
        # by the run's end unless its record made it
        self._forget(result.sha256, claims)
        yield committed

    def _forget(self, sha256: str, claims: ContentClaims) -> None:
        """The content is settled (committed, or left for the next run): let it go."""
        self._started.pop(sha256, None)
        claims.release(sha256)


class _WorkerHolder:
    """The one Worker of a pool process (a pool initializer can only leave state here)."""

    worker: Worker | None = None


def _died(job: Job) -> DocumentResult:
    return DocumentResult(
        source=str(job.source),
        sha256=job.sha256,
        status="failed",
        error="the worker process died on this file (out of memory or a crash in a decoder)",
    )


def _init_worker(settings: WorkerSettings, parent_pid: int) -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    # Ctrl-C and SIGTERM are for the parent: it finishes the files in flight and exits.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Its own process group (exit_with) is a background one on a terminal: with "stty tostop"
    # its log lines would stop it (SIGTTOU) unless it ignores that signal.
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    exit_with(parent_pid, forkserver_child=True)
    _WorkerHolder.worker = Worker(settings)


def _run_job(job: Job) -> DocumentResult:
    worker = _WorkerHolder.worker
    assert worker is not None, "worker not initialised"
    return worker.process(job)
