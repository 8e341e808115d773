"""A claim on one file's content while a worker digitizes it (distributed runs).

A task queue redelivers a task whose worker vanished, and on Redis it may also redeliver a
task that merely ran longer than the queue's lease. Two workers could then digitize the same
file at once and race to write its signed PDF (named by content) and its record. The claim
is a PostgreSQL session-level advisory lock keyed by the content hash: the second worker
waits, then finds the document registered and registers nothing. The lock belongs to the
database connection, so a worker killed mid-task (SIGKILL, power cut) drops it with its
connection: nothing to clean up, and no claim outlives its holder.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from digitizer.errors import StoreError


def claim_key(sha256: str) -> int:
    """The lock's key: 60 bits of the content hash, within PostgreSQL's signed bigint."""
    return int(sha256[:15], 16)


@contextmanager
def content_claim(engine: Engine, sha256: str) -> Iterator[None]:
    """Hold the claim on ``sha256`` for the ``with`` block; wait while another holds it."""
    if engine.dialect.name != "postgresql":
        raise StoreError(
            "distributed runs need a PostgreSQL store (DIGITIZER_DB_URL=postgresql://...)"
        )
    key = claim_key(sha256)
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot reach the store to claim {sha256[:16]}: {exc}") from exc
    try:
        _call(conn, func.pg_advisory_lock(key), sha256)
        try:
            yield
        finally:
            _call(conn, func.pg_advisory_unlock(key), sha256)
    finally:
        conn.close()


def _call(conn: Connection, lock_function: ColumnElement[object], sha256: str) -> None:
    try:
        conn.execute(select(lock_function))
        conn.commit()  # the lock is the session's, not the transaction's
    except SQLAlchemyError as exc:
        conn.invalidate()  # a connection in doubt is closed: the server drops its locks
        raise StoreError(f"the claim on {sha256[:16]} failed: {exc}") from exc
