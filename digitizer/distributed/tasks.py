"""What a ``digitizer worker`` process does with one file of a distributed batch.

The same pipeline worker and the same registration as a local run (:mod:`digitizer.runner`),
wrapped so that a task can run twice without harm:

1. the file is hashed again here: the content names the document, whatever the producer saw;
2. the content is *claimed* (:func:`~digitizer.store.claims.content_claim`), so a second
   delivery of the same task waits instead of racing;
3. a document already registered with that content is reported, never made again (a worker
   killed after registering but before acknowledging leaves exactly this);
4. otherwise the file is digitized, its signed PDF made durable under its content name,
   and the record committed; only then does Celery acknowledge the task.

A bad file is a result (``failed``, with its reason), never an exception: exceptions are
kept for the worker's own failures. :class:`WorkerUnavailable` (no key, token unplugged,
timestamp server down, a profile that does not prepare on this machine) has the task retried
later, so that one broken worker does not fail a whole archive in minutes; others (store or
queue away) leave the task to Celery.
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import InterfaceError, OperationalError

from digitizer.config import Layout
from digitizer.digest import sha256_of
from digitizer.errors import DigitizerError, DiskFullError, StoreError
from digitizer.pkcs11_token import retry_later
from digitizer.profiles import find_profile
from digitizer.records import DocumentResult
from digitizer.store import Store
from digitizer.store.claims import content_claim

if TYPE_CHECKING:
    from digitizer.distributed.queue import AttemptCounter
    from digitizer.runner import RunPlan
    from digitizer.stages import Worker

log = logging.getLogger(__name__)


class WorkerUnavailable(DigitizerError):
    """This worker cannot digitize now (its token is away, a profile does not prepare
    here): the file is not at fault, so its task is retried later, on any worker."""


# what a task's result carries besides DocumentResult.to_json()
TaskReport = dict[str, object]


@dataclass(slots=True)
class _Prepared:
    """One profile, ready: its plan (checked), its pipeline worker (engine, key), its unit."""

    plan: RunPlan
    worker: Worker
    unit_id: int | None


class FileDigitizer:
    """The means of one worker process, opened at its first task and kept for the next.

    Profiles are prepared when a task first names them, so one pool of workers serves every
    profile its machine has; a profile that cannot be prepared (no key, no language, unknown
    unit) fails the file with the reason and this machine's name, and is tried again with
    the next file, after the administrator has mended it.
    """

    def __init__(self, layout: Layout, store_url: str, attempts: AttemptCounter) -> None:
        self.layout = layout
        self.store = Store(store_url)
        self.attempts = attempts
        self.host = socket.gethostname()
        self._prepared: dict[str, _Prepared] = {}

    def close(self) -> None:
        for prepared in self._prepared.values():
            prepared.worker.close()
        self._prepared.clear()
        self.store.close()

    def _prepare(self, profile_name: str) -> _Prepared:
        from digitizer.runner import prepare
        from digitizer.stages import Worker

        found = self._prepared.get(profile_name)
        if found is None:
            profile = find_profile(self.layout.profiles_dir, profile_name)
            plan = prepare(self.layout, profile)
            unit_id = self.store.unit_id(profile.unit_code) if profile.unit_code else None
            # the worker reads the office's learned labels from the province's store
            settings = replace(plan.settings, store_url=self.store.url)
            found = _Prepared(plan, Worker(settings), unit_id)
            self._prepared[profile_name] = found
        return found

    def digitize(self, source: str, profile: str) -> TaskReport:
        """Digitize and register ``source`` once, however many times it is asked."""
        started = time.perf_counter()
        path = Path(source)
        try:
            if not path.is_file():  # the producer saw it: is the share mounted here?
                raise WorkerUnavailable(f"worker {self.host}: no such file {source}")
            sha = sha256_of(path)
        except OSError as exc:
            return self._report(_failed(source, "", f"cannot read file: {exc}"), started)
        try:
            return self._claimed(path, sha, profile, started)
        except (StoreError, DiskFullError, OperationalError, InterfaceError) as exc:
            # the store away (restarting, network) or this machine's disk full: not the
            # file's fault, retried later
            raise WorkerUnavailable(f"worker {self.host}: {exc}") from exc

    def _claimed(self, path: Path, sha: str, profile: str, started: float) -> TaskReport:
        """The file's work under its content claim: reported if registered, else made."""
        from digitizer.commit import duplicate_of
        from digitizer.distributed.queue import MAX_ATTEMPTS

        source = str(path)
        with content_claim(self.store.engine, sha):
            existing = self.store.document_by_sha256(sha)
            if existing is not None:
                result = duplicate_of(self.store, self.layout.home, source, sha, existing)
                return self._report(result, started, pages=existing.page_count)
            # Counted under the claim: a delivery waiting for another is no attempt. Only a
            # death (which runs no except clause) leaves the count raised for the next one.
            if self.attempts.started(sha) > MAX_ATTEMPTS:
                self.attempts.finished(sha)
                error = (
                    f"worker processes died {MAX_ATTEMPTS} times on this file "
                    "(out of memory or a crash in a decoder)"
                )
                self.store.journal(source=source, event_name="failed", sha256=sha, detail=error)
                return self._report(_failed(source, sha, error), started)
            try:
                report = self._digitize(path, sha, profile, started)
            finally:
                self.attempts.finished(sha)
        return report

    def _digitize(self, path: Path, sha: str, profile: str, started: float) -> TaskReport:
        from digitizer.commit import commit, job_for

        try:
            prepared = self._prepare(profile)
        except DigitizerError as exc:
            raise WorkerUnavailable(f"worker {self.host}: {exc}") from exc
        result = prepared.worker.process(job_for(self.layout, path, sha))
        if result.status == "failed" and retry_later(result.error):
            raise WorkerUnavailable(f"worker {self.host}: {result.error}")
        result = commit(self.store, prepared.plan, prepared.unit_id, result)
        return self._report(result, started)

    def _report(
        self, result: DocumentResult, started: float, pages: int | None = None
    ) -> TaskReport:
        return {
            **result.to_json(),
            "page_count": len(result.pages) if pages is None else pages,
            "seconds": round(time.perf_counter() - started, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "worker": f"{self.host}:{os.getpid()}",
        }


def _failed(source: str, sha256: str, error: str) -> DocumentResult:
    return DocumentResult(source=source, sha256=sha256, status="failed", error=error)
