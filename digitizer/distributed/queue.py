"""The task queue of distributed runs: Celery on a Redis broker, and how it is set up.

Every setting here serves one promise, that a worker killed mid-task loses nothing and
registers nothing twice:

* late acknowledgement (``task_acks_late``): a task leaves the queue only after its document
  is registered; a worker process that dies under a running task has it put back
  (``task_reject_on_worker_lost``), and a whole worker that vanishes (SIGKILL, power cut)
  has its unacknowledged tasks handed out again by Redis once their *lease* (Redis's
  visibility timeout) runs out;
* one task fetched at a time per process (``worker_prefetch_multiplier = 1``): scans take
  seconds to minutes each, so a worker must not sit on tasks another could run;
* JSON messages only: a worker never unpickles what it is sent.

The lease must be longer than the longest file takes: a task that outlives it is handed to a
second worker too, which then waits on the content claim (:mod:`digitizer.store.claims`) and
finds the document registered, wasting its time but never registering twice.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from digitizer.errors import QueueError
from digitizer.store.store import shown_url

if TYPE_CHECKING:  # Celery is imported by the commands that use the queue, not at start-up
    import redis
    from celery import Celery

log = logging.getLogger(__name__)

TASK_NAME = "digitizer.digitize_file"
QUEUE_NAME = "digitizer"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
DEFAULT_LEASE_SECONDS = 3600
# how often a worker looks for tasks whose lease ran out (kombu's default is every 100 s)
_MAX_RESTORE_INTERVAL = 10
# A file whose tasks killed this many worker processes is reported failed, not retried.
MAX_ATTEMPTS = 3
_ATTEMPTS_KEY = "digitizer:attempts:{}"
_ATTEMPTS_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """Where the queue is and how long a task may run before Redis hands it out again."""

    broker_url: str = DEFAULT_BROKER_URL
    lease_seconds: int = DEFAULT_LEASE_SECONDS

    @property
    def shown_url(self) -> str:
        """The broker URL without its password, for messages."""
        return shown_url(self.broker_url)


def celery_app(settings: QueueSettings) -> Celery:
    """The Celery application of a producer (``batch --distributed``) or a worker."""
    from celery import Celery

    if not settings.broker_url.startswith(("redis://", "rediss://")):
        raise QueueError(
            f"the task queue must be a Redis URL (redis://host:6379/0), not {settings.shown_url}"
        )
    lease = settings.lease_seconds
    transport = {
        "visibility_timeout": lease,
        "unacked_restore_interval": max(1, min(_MAX_RESTORE_INTERVAL, lease // 5)),
        "unacked_restore_throttle": 1,
    }
    app = Celery("digitizer", broker=settings.broker_url, backend=settings.broker_url)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE_NAME,
        result_expires=7 * 24 * 3600,
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
        redis_socket_connect_timeout=5,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    return app


def redis_client(settings: QueueSettings) -> redis.Redis:
    """A plain client of the broker's Redis, checked with a ping: one line if it is away."""
    import redis

    try:
        client = redis.Redis.from_url(
            settings.broker_url, socket_connect_timeout=5, socket_timeout=30
        )
        client.ping()
    except (redis.RedisError, ValueError, OSError) as exc:
        raise QueueError(
            f"the task queue at {settings.shown_url} is unreachable ({exc}); start Redis or "
            "set DIGITIZER_BROKER_URL"
        ) from exc
    return client


class AttemptCounter:
    """How many times a task on a file was started (in the broker's Redis).

    A file that crashes its decoder would otherwise kill one worker after another forever,
    since every death puts its task back. Counted by content, so a file enqueued again by a
    resumed batch keeps its count; forgotten when the task ends or after a week.
    """

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def started(self, sha256: str) -> int:
        key = _ATTEMPTS_KEY.format(sha256)
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, _ATTEMPTS_TTL_SECONDS)
        count, _ = pipe.execute()
        return int(count)

    def finished(self, sha256: str) -> None:
        self.client.delete(_ATTEMPTS_KEY.format(sha256))


# kombu's Redis transport: a queue is a list per priority step, and the messages a worker
# holds (running, or waiting for their ETA) are in one hash until acknowledged
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
_UNACKED_KEY = "unacked"


def task_ids_in_broker(client: redis.Redis) -> set[str]:
    """The ids of every task the broker still holds: queued, or held by a worker.

    A task the producer waits for that is in neither, and has no result, was lost by the
    broker (a Redis restarted without its append-only file): the producer sends it again.
    """
    messages: list[Any] = []
    for suffix in _PRIORITY_SUFFIXES:
        messages += [_json(raw) for raw in client.lrange(f"{QUEUE_NAME}{suffix}", 0, -1)]
    for raw in client.hvals(_UNACKED_KEY):  # each is [message, exchange, routing key]
        held = _json(raw)
        if isinstance(held, list) and held:
            messages.append(held[0])
    found = set()
    for message in messages:
        headers = message.get("headers") if isinstance(message, dict) else None
        if isinstance(headers, dict) and headers.get("id"):
            found.add(str(headers["id"]))
    return found


def _json(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
