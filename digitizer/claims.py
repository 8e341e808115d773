"""Claims on a file's content across the runs that share one home (and one store).

An operator's ``process`` beside the hot folder's ``watch``, or two terminals, are ordinary
use. Outputs are named by content, so two runs taking the same file would both write its
signed PDF, and the second one's bytes would replace the registered first one's: the
record's hash would no longer match the archive. A run therefore takes a claim on a content
before any work on it and keeps it until the result is committed, and it asks the store
whether the content is registered only once it holds the claim.

The claim is an exclusive ``flock`` on ``work/claims/<sha256>.lock``: the kernel drops it
with the holder (SIGKILL, power cut), so no claim outlives a dead run and nothing needs
cleaning. On a PostgreSQL store the run also takes the content's advisory lock (the one
distributed workers take, :mod:`digitizer.store.claims`), so a local run and the province's
workers never digitize the same content at once either. Claims are only ever *tried*: a
run never waits on one while holding others (two runs could wait on each other for ever),
it puts the file aside and tries again later.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from digitizer.digest import is_sha256_hex
from digitizer.diskspace import disk_full, is_disk_full
from digitizer.errors import StoreError
from digitizer.store import Store
from digitizer.store.claims import claim_key

log = logging.getLogger(__name__)


class ContentClaims:
    """The claims one run holds, by content hash; :meth:`close` lets go of all of them."""

    def __init__(self, work_dir: Path, store: Store) -> None:
        self.folder = work_dir / "claims"
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._held: dict[str, int] = {}
        self._conn: Connection | None = None
        if store.engine.dialect.name == "postgresql":
            try:
                self._conn = store.engine.connect()
            except SQLAlchemyError as exc:
                raise StoreError(f"cannot reach the store to claim files: {exc}") from exc

    def __contains__(self, sha256: str) -> bool:
        return sha256 in self._held

    def try_claim(self, sha256: str) -> bool:
        """Take the claim on ``sha256`` if no other run holds it (never waits)."""
        if sha256 in self._held:
            return True
        if not is_sha256_hex(sha256):
            raise ValueError(f"not a SHA-256: {sha256[:80]!r}")
        path = self.folder / f"{sha256}.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            if is_disk_full(exc):  # no inode left for the claim: the disk is full
                raise disk_full(self.folder.parent.parent, exc) from exc
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        if not _still_named(path, fd):  # its holder removed it meanwhile: try again later
            os.close(fd)
            return False
        if not self._advisory("pg_try_advisory_lock", sha256):
            os.close(fd)
            return False
        self._held[sha256] = fd
        return True

    def release(self, sha256: str) -> None:
        fd = self._held.pop(sha256, None)
        if fd is None:
            return
        self._advisory("pg_advisory_unlock", sha256)
        # removed while still held, so that claims do not pile up; a run that opened the old
        # file meanwhile sees it is no longer the named one (_still_named) and tries again
        (self.folder / f"{sha256}.lock").unlink(missing_ok=True)
        os.close(fd)  # closing the descriptor drops the flock

    def close(self) -> None:
        for sha256 in list(self._held):
            self.release(sha256)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _advisory(self, function: str, sha256: str) -> bool:
        if self._conn is None:
            return True
        try:
            got = self._conn.execute(select(getattr(func, function)(claim_key(sha256)))).scalar()
            self._conn.commit()  # the lock is the session's, not the transaction's
        except SQLAlchemyError as exc:
            self._conn.invalidate()  # the server drops the locks of a connection in doubt
            self._conn = None
            raise StoreError(f"the claim on {sha256[:16]} failed: {exc}") from exc
        return bool(got)


def _still_named(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False
