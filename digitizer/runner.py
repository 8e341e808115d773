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
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from digitizer.config import Layout
from digitizer.errors import ConfigurationError, InputFileError, StoreError
from digitizer.keys import init_demo_keys
from digitizer.ocr import check_languages, engine_version, find_tessdata
from digitizer.pipelines import PipelineDefinition, load_pipeline
from digitizer.profiles import ScannerProfile
from digitizer.records import DocumentResult
from digitizer.signing import load_signer
from digitizer.stages import Job, Worker, WorkerSettings, document_id_for, sha256_of
from digitizer.store import Store
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
    p12: Path | None = None
    password: bytes | None = None
    if pipeline.runs("sign"):
        if profile.signing.uses_demo_key:
            init_demo_keys(layout.home)
        p12 = profile.signing.pkcs12_path(layout.home)
        password = profile.signing.password(layout.home)
        load_signer(p12, password)  # fail now, not in every worker
    schemas = load_schemas(layout.schemas_dir) if pipeline.runs("understand") else None
    settings = WorkerSettings(
        profile, pipeline, tessdata, layout.work, schemas, layout.doctype_model, p12, password
    )
    return RunPlan(layout, profile, pipeline, settings, version)


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


def output_path(layout: Layout, document_id: str) -> Path:
    return layout.archive / document_id[:2] / f"{document_id}.pdf"


class Run:
    """One ``process`` invocation over a list of files."""

    def __init__(self, plan: RunPlan, store: Store, workers: int) -> None:
        self.plan = plan
        self.store = store
        self.workers = max(1, workers)
        profile = plan.profile
        self.unit_id = (
            store.ensure_unit(profile.unit_code, profile.unit_name or profile.unit_code)
            if profile.unit_code
            else None
        )

    def results(
        self, files: list[Path], on_start: Callable[[Path], None] | None = None
    ) -> Iterator[DocumentResult]:
        """Process ``files``, yielding each result once it is registered (or not)."""
        jobs: list[Job] = []
        seen: set[str] = set()
        for path in files:
            early = self._screen(path, seen)
            if isinstance(early, DocumentResult):
                yield early
            else:
                jobs.append(early)
        if not jobs:
            return
        if len(jobs) == 1:
            yield from self._inline(jobs, on_start)
        else:
            yield from self._pooled(jobs, on_start)

    def _screen(self, path: Path, seen: set[str]) -> DocumentResult | Job:
        """Hash the file and settle duplicates before any expensive work."""
        source = str(path)
        try:
            if not path.is_file():
                raise InputFileError("not a regular file")
            sha = sha256_of(path)
        except (OSError, InputFileError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            result = DocumentResult(
                source=source, sha256="", status="failed", error=f"cannot read file: {reason}"
            )
            self.store.journal(source=source, event_name="failed", detail=result.error)
            return result
        doc_id = document_id_for(sha)
        existing = self.store.document_by_sha256(sha)
        if existing is not None or sha in seen:
            result = DocumentResult(
                source=source,
                sha256=sha,
                status="duplicate",
                document_id=existing.id if existing else doc_id,
                doc_type=existing.doc_type if existing else "unknown",
                output=existing.output_path if existing else None,
                error=None,
            )
            self.store.journal(
                source=source, event_name="duplicate", sha256=sha, document_id=result.document_id
            )
            return result
        seen.add(sha)
        return Job(path, sha, doc_id, output_path(self.plan.layout, doc_id))

    def _inline(
        self, jobs: list[Job], on_start: Callable[[Path], None] | None
    ) -> Iterator[DocumentResult]:
        worker = Worker(self.plan.settings)
        try:
            for job in jobs:
                if on_start:
                    on_start(job.source)
                yield self._commit(worker.process(job))
        finally:
            worker.close()

    def _pooled(
        self, jobs: list[Job], on_start: Callable[[Path], None] | None
    ) -> Iterator[DocumentResult]:
        """Run jobs on a process pool that survives a worker dying.

        When a worker dies (killed, out of memory, a crash inside a C decoder) every job in
        flight is suspect: they are requeued and later run one at a time, so that only the
        file that really kills a worker is reported failed, and nothing else is lost.
        """
        window = 2 * self.workers  # bounded: memory stays flat however many files
        suspects: deque[Job] = deque()
        queue = deque(jobs)
        while queue:
            yield from self._drain(queue, window, suspects, on_start)
        while suspects:
            crashed: deque[Job] = deque()
            yield from self._drain(suspects, 1, crashed, on_start)
            for job in crashed:
                yield self._commit(
                    DocumentResult(
                        source=str(job.source),
                        sha256=job.sha256,
                        status="failed",
                        error="the worker process died on this file (out of memory or a "
                        "crash in a decoder)",
                    )
                )

    def _drain(
        self,
        queue: deque[Job],
        window: int,
        crashed: deque[Job],
        on_start: Callable[[Path], None] | None,
    ) -> Iterator[DocumentResult]:
        """Run ``queue`` on one pool until it is empty or the pool breaks.

        On a break, the jobs that were in flight go to ``crashed``; the rest stay queued.
        """
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, window),
            mp_context=mp.get_context("forkserver"),
            initializer=_init_worker,
            initargs=(self.plan.settings,),
        )
        in_flight: dict[Future[DocumentResult], Job] = {}
        try:
            while queue or in_flight:
                while queue and len(in_flight) < window:
                    job = queue.popleft()
                    if on_start:
                        on_start(job.source)
                    in_flight[pool.submit(_run_job, job)] = job
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        log.warning("a worker process died; requeueing %d file(s)", len(in_flight))
                        crashed.extend(in_flight.values())
                        return
                    del in_flight[future]
                    yield self._commit(result)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _commit(self, result: DocumentResult) -> DocumentResult:
        if result.status == "failed":
            self.store.journal(
                source=result.source, event_name="failed", sha256=result.sha256, detail=result.error
            )
            return result
        plan = self.plan
        try:
            self.store.register(
                result,
                profile=plan.profile.name,
                pdfa_level=plan.profile.pdfa_level,
                ocr_engine=plan.engine_version,
                unit_id=self.unit_id,
            )
        except StoreError as exc:
            result.status, result.error = "failed", str(exc)
            self.store.journal(
                source=result.source, event_name="failed", sha256=result.sha256, detail=result.error
            )
        return result


class _WorkerHolder:
    """The one Worker of a pool process (a pool initializer can only leave state here)."""

    worker: Worker | None = None


def _init_worker(settings: WorkerSettings) -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    _WorkerHolder.worker = Worker(settings)


def _run_job(job: Job) -> DocumentResult:
    worker = _WorkerHolder.worker
    assert worker is not None, "worker not initialised"
    return worker.process(job)
