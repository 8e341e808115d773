"""``digitizer worker``: a Celery worker that digitizes the files of distributed batches.

Start one on every machine that sees the files (same paths), the archive folder and the
PostgreSQL store; each runs ``--concurrency`` pipeline processes (default: all cores).
Each pool process seals the audit chain into this machine's home every few minutes while
it works and when it exits (:class:`_Sealing`), like ``watch``.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from digitizer.config import Layout
from digitizer.distributed.queue import (
    DEFAULT_BROKER_URL,
    QUEUE_NAME,
    TASK_NAME,
    AttemptCounter,
    QueueSettings,
    celery_app,
    redis_client,
)
from digitizer.errors import ConfigurationError, DigitizerError
from digitizer.profiles import ScannerProfile, find_profile
from digitizer.seal import periodic_sealer, seal_chain

if TYPE_CHECKING:
    from celery import Celery, Task

    from digitizer.distributed.tasks import FileDigitizer, TaskReport
    from digitizer.store import Store

log = logging.getLogger(__name__)

# A task this worker cannot run now (token away, profile not prepared here) is retried this
# often, this far apart, on any worker, before the file is reported failed with the reason.
RETRIES_WHILE_UNAVAILABLE = 20
RETRY_SECONDS = 30
SEAL_SECONDS = 300.0  # a working pool process seals the audit chain this often, like watch


class CliState(Protocol):
    @property
    def layout(self) -> Layout: ...

    @property
    def store_url(self) -> str: ...


BrokerOption = Annotated[
    str,
    typer.Option(
        "--broker",
        envvar="DIGITIZER_BROKER_URL",
        help="Redis URL of the task queue (env DIGITIZER_BROKER_URL).",
    ),
]


class _Sealing:
    """When a pool process seals the audit chain: after a task once ``every_s`` seconds
    have passed (:func:`digitizer.seal.periodic_sealer`), and when it exits, with the
    signing key of the profile its last task named. A worker runs for weeks: its entries
    must not wait for another command's seal, since an entry is only proven to be the
    program's once sealed."""

    def __init__(self, layout: Layout, every_s: float = SEAL_SECONDS) -> None:
        self.layout = layout
        self.every_s = every_s
        self._profiles: dict[str, tuple[ScannerProfile, Callable[[], None]]] = {}
        self._last: str | None = None

    def after_task(self, store: Store, profile_name: str) -> None:
        found = self._profiles.get(profile_name)
        if found is None:
            try:
                profile = find_profile(self.layout.profiles_dir, profile_name)
            except DigitizerError as exc:  # its task failed or was retried for it
                log.warning("audit chain not sealed with profile %s: %s", profile_name, exc)
                return
            found = (profile, periodic_sealer(store, self.layout, profile, self.every_s))
            self._profiles[profile_name] = found
        self._last = profile_name
        found[1]()

    def at_exit(self, store: Store) -> None:
        if self._last is not None:
            seal_chain(store, self.layout, self._profiles[self._last][0])


class _ProcessMeans:
    """The :class:`FileDigitizer` of one pool process, opened at its first task.

    Made in the worker's main process and copied into each pool process by fork; every
    copy opens its own store connections and Redis client, none is shared across a fork.
    """

    def __init__(self, layout: Layout, store_url: str, settings: QueueSettings) -> None:
        self.layout = layout
        self.store_url = store_url
        self.settings = settings
        self._digitizer: FileDigitizer | None = None
        self.sealing = _Sealing(layout)

    def get(self) -> FileDigitizer:
        if self._digitizer is None:
            from digitizer.distributed.tasks import FileDigitizer

            attempts = AttemptCounter(redis_client(self.settings))
            self._digitizer = FileDigitizer(self.layout, self.store_url, attempts)
        return self._digitizer

    def on_process_init(self, **_: Any) -> None:
        from digitizer.lifeline import exit_with

        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self._digitizer = None
        self.sealing = _Sealing(self.layout)
        exit_with(os.getppid())  # a worker killed outright takes its pool processes along

    def on_process_shutdown(self, **_: Any) -> None:
        if self._digitizer is not None:
            self.sealing.at_exit(self._digitizer.store)
            self._digitizer.close()
            self._digitizer = None


class ResultOutOfLog(logging.Filter):
    """Celery logs each task's return value; ours holds names and personal ID numbers,
    which have no place in a system journal. The log keeps the document and its status."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict) and isinstance(args.get("return_value"), str):
            value = args["return_value"]
            status = re.search(r"'status': '(\w+)'", value)
            document = re.search(r"'document_id': '(\w+)'", value)
            shown = f"{status.group(1) if status else '?'} {document.group(1) if document else ''}"
            record.args = {**args, "return_value": shown.strip()}
        return True


def worker_app(settings: QueueSettings, layout: Layout, store_url: str) -> Celery:
    """The Celery application of a worker, with the digitizing task bound to its home."""
    from celery.signals import worker_process_init, worker_process_shutdown

    logging.getLogger("celery.app.trace").addFilter(ResultOutOfLog())
    app = celery_app(settings)
    means = _ProcessMeans(layout, store_url, settings)

    @app.task(name=TASK_NAME, bind=True, max_retries=RETRIES_WHILE_UNAVAILABLE)
    def digitize_file(task: Task, source: str, profile: str) -> TaskReport:
        from digitizer.distributed.tasks import WorkerUnavailable

        digitizer = means.get()
        try:
            report = digitizer.digitize(source, profile)
        except WorkerUnavailable as exc:
            log.warning("%s: %s; retried in %d s", source, exc, RETRY_SECONDS)
            raise task.retry(exc=exc, countdown=RETRY_SECONDS) from exc
        means.sealing.after_task(digitizer.store, profile)
        return report

    worker_process_init.connect(means.on_process_init, weak=False)
    worker_process_shutdown.connect(means.on_process_shutdown, weak=False)
    return app


def require_postgresql(store_url: str) -> None:
    """Distributed runs share one store between machines: SQLite cannot be that store."""
    if not store_url.startswith(("postgresql", "postgres:")):
        raise ConfigurationError(
            "distributed runs need a PostgreSQL store shared by every worker: set "
            "DIGITIZER_DB_URL=postgresql://user@host/db (the embedded SQLite store is for "
            "one workstation)"
        )


def register(app: typer.Typer) -> None:
    """Add ``digitizer worker`` to the main app."""
    app.command(name="worker")(worker_command)


def worker_command(
    ctx: typer.Context,
    broker: BrokerOption = DEFAULT_BROKER_URL,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", help="Pipeline processes (default: all cores).")
    ] = 0,
    lease: Annotated[
        int,
        typer.Option(
            envvar="DIGITIZER_TASK_LEASE",
            min=5,
            help="Seconds a task may run before Redis hands it to another worker: longer than "
            "your longest file takes (env DIGITIZER_TASK_LEASE). Every worker should use the "
            "same value.",
        ),
    ] = 3600,
    profile: Annotated[
        list[str] | None,
        typer.Option(
            help="Check this profile (key, languages, unit) before taking tasks; repeatable."
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Worker name (default: digitizer-<pid>@<host>).")
    ] = None,
) -> None:
    """Digitize files enqueued by 'digitizer batch --distributed', until stopped (Ctrl-C or
    SIGTERM: the tasks in progress finish first)."""
    state: CliState = ctx.obj
    layout = state.layout
    require_postgresql(state.store_url)
    settings = QueueSettings(broker_url=broker, lease_seconds=lease)
    redis_client(settings).close()  # one line now if the queue is away, not a retry loop
    from digitizer.runner import prepare
    from digitizer.store import Store

    Store(state.store_url).close()  # the store is reachable and at its newest schema
    for profile_name in profile or ():
        prepare(layout, find_profile(layout.profiles_dir, profile_name))
    app = worker_app(settings, layout, state.store_url)
    processes = concurrency if concurrency > 0 else (os.cpu_count() or 1)
    verbose = logging.getLogger().getEffectiveLevel() <= logging.INFO
    argv = [
        "worker",
        "--pool=prefork",
        f"--concurrency={processes}",
        f"--hostname={name or f'digitizer-{os.getpid()}@{socket.gethostname()}'}",
        f"--queues={QUEUE_NAME}",
        f"--loglevel={'INFO' if verbose else 'WARNING'}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    layout.prepare()
    log.info("worker: home %s, config %s", layout.home, Path(layout.config_root))
    app.worker_main(argv=argv)
