"""``digitizer batch --distributed``: the files go to the queue, the reports come back.

The producer digitizes nothing. It hashes each file (a file already registered is *skipped*
without a task, a second copy inside the run is a *duplicate*, exactly as a local batch
says), enqueues the rest a window at a time, and reads the workers' results from Redis as
they arrive, so the operator sees the same progress bar, JSON lines, failures CSV and
summary as with a local batch. Only a window of tasks is ever outstanding: the queue stays
short, and a producer stopped with Ctrl-C leaves at most that many tasks, which the workers
finish and the next run skips.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from digitizer.batch import FileReport, Outcome, outcome_of, registered_before
from digitizer.commit import screen
from digitizer.distributed.queue import (
    TASK_NAME,
    QueueSettings,
    celery_app,
    redis_client,
    task_ids_in_broker,
)
from digitizer.distributed.worker import require_postgresql
from digitizer.errors import QueueError
from digitizer.profiles import ScannerProfile
from digitizer.records import DocumentResult
from digitizer.store import Store

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger(__name__)

# Tasks outstanding at a time: far more than the worker processes of a province (a few
# dozen), so none of them ever waits on the producer.
WINDOW_TASKS = 256
_POLL_SECONDS = 0.25
_STATUSES: set[str] = {"registered", "needs_review", "failed"}


class Producer:
    """The queue side of one distributed batch."""

    def __init__(
        self, settings: QueueSettings, store_url: str, *, lost_check_seconds: float = 60.0
    ) -> None:
        """Check, before any file is touched, that the store can be shared and the queue
        answers; both failures are one line."""
        require_postgresql(store_url)
        self.client = redis_client(settings)
        self.settings = settings
        self.app: Celery = celery_app(settings)
        self.outstanding = 0
        self.lost_check_seconds = lost_check_seconds

    def close(self) -> None:
        self.client.close()

    def workers_listening(self) -> int:
        """How many workers answer a ping within a second (0 is allowed: they may come)."""
        try:
            return len(self.app.control.ping(timeout=1.0) or [])
        except Exception as exc:  # a remote-control hiccup must not stop the batch
            log.debug("worker ping failed: %s", exc)
            return 0

    def reports(
        self,
        store: Store,
        files: list[Path],
        *,
        profile: ScannerProfile,
        home: Path,
        since: dt.datetime,
        window: int = WINDOW_TASKS,
    ) -> Iterator[FileReport]:
        """Every file's report, in the order the workers finish them."""
        if profile.unit_code:
            store.unit_id(profile.unit_code)  # an unknown unit fails here, not in every task
        if not self.workers_listening():
            log.warning(
                "no worker answered yet: the files wait in the queue until "
                "'digitizer worker' runs on a machine that sees them"
            )
        backend = self.app.backend
        pending: dict[str, str] = {}  # task id -> source
        missing_before: set[str] = set()  # pending tasks the broker did not hold last time
        next_check = time.monotonic() + self.lost_check_seconds
        seen: set[str] = set()  # contents enqueued by this run
        todo = iter(files)
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                path = next(todo, None)
                if path is None:
                    exhausted = True
                    break
                early = screen(store, home, path, seen, profile.max_file_mb)
                if isinstance(early, DocumentResult):
                    yield FileReport.of(early, outcome_of(early, store, since))
                    continue
                pending[self._send(str(path), profile.name)] = str(path)
                self.outstanding = len(pending)
            if not pending:
                return
            if time.monotonic() >= next_check:
                missing_before = self._resend_lost(pending, missing_before, profile.name)
                next_check = time.monotonic() + self.lost_check_seconds
            with self._queue_errors():
                ready = list(
                    backend.get_many(list(pending), interval=_POLL_SECONDS, max_iterations=1)
                )
                for task_id, _ in ready:
                    backend.forget(task_id)
            for task_id, meta in ready:
                source = pending.pop(task_id)
                yield _report_of(meta, source, store, since)
            self.outstanding = len(pending)

    def _send(self, source: str, profile: str) -> str:
        with self._queue_errors():
            task = self.app.send_task(TASK_NAME, kwargs={"source": source, "profile": profile})
        return str(task.id)

    def _resend_lost(
        self, pending: dict[str, str], missing_before: set[str], profile: str
    ) -> set[str]:
        """Send again the tasks the broker lost; the pending tasks it does not hold now.

        A task counts as lost when two checks in a row find it neither queued, nor held by
        a worker, nor finished (one check could fall between a worker taking it and
        recording it as held). Sending a task twice is harmless: registration is idempotent.
        """
        with self._queue_errors():
            held = task_ids_in_broker(self.client)
            candidates = set(pending) - held
            finished = (
                {
                    task_id
                    for task_id, _ in self.app.backend.get_many(
                        list(candidates), max_iterations=1, interval=0
                    )
                }
                if candidates
                else set()
            )
        missing = candidates - finished
        lost = missing & missing_before
        if lost:
            log.warning(
                "%d task(s) were lost by the queue (Redis restarted without its append-only "
                "file?): enqueued again",
                len(lost),
            )
        for task_id in lost:
            source = pending.pop(task_id)
            pending[self._send(source, profile)] = source
        return missing - lost

    @contextmanager
    def _queue_errors(self) -> Iterator[None]:
        """The queue lost mid-run is one line; the tasks already queued are not lost."""
        from kombu.exceptions import OperationalError
        from redis import RedisError

        try:
            yield
        except (OperationalError, RedisError, OSError) as exc:
            raise QueueError(
                f"lost the task queue at {self.settings.shown_url} ({exc}); the files already "
                "queued are still digitized by the workers: run the same command again to resume"
            ) from exc


def _report_of(meta: dict[str, Any], source: str, store: Store, since: dt.datetime) -> FileReport:
    """A worker's result as a batch report.

    A task that ran twice (its first worker died after registering) comes back as a
    duplicate: if the document was registered after this batch began, this batch made it,
    and it counts as what it was registered as.
    """
    result = meta.get("result")
    if meta.get("status") != "SUCCESS" or not isinstance(result, dict):
        reason = result.get("exc_message") if isinstance(result, dict) else result
        if isinstance(reason, list | tuple):
            reason = " ".join(str(part) for part in reason)
        error = f"the task failed on its worker: {reason}"
        failed = DocumentResult(source=source, sha256="", status="failed", error=error)
        return FileReport.of(failed, "failed")
    record = dict(result)
    pages = int(record.pop("page_count", 0))
    peak = float(record.pop("peak_rss_mb", 0.0))
    for private in ("seconds", "worker"):
        record.pop(private, None)
    status = str(record.get("status"))
    if status in _STATUSES:
        return FileReport(record, cast(Outcome, status), pages, peak)
    existing = store.document_by_sha256(str(record.get("sha256")))
    if existing is None or registered_before(existing, since):
        return FileReport(record, "duplicate" if existing is None else "skipped", pages, peak)
    record["status"] = existing.status
    return FileReport(record, cast(Outcome, existing.status), pages, peak)
