"""Schema migrations of the store (Alembic), applied whenever a store is opened.

Why on open: the CLI is the store's only client and an office has nobody to run
``alembic upgrade`` after installing a new version, so ``Store(url)`` brings the database
to :data:`HEAD` itself. Every command opens the store, so the usual case (already at head)
is one ``SELECT`` on ``alembic_version`` and does not even import Alembic.

Three kinds of database are met: empty (upgraded from nothing), made by ``create_all``
before migrations existed (no ``alembic_version``: stamped with the revision its tables
match, then upgraded) and made by a newer digitizer (a revision unknown here: refused, since
this code would misread tables it does not know).

Concurrent openers are serialised: PostgreSQL by a transaction-level advisory lock,
SQLite by ``BEGIN IMMEDIATE``. Both make the whole migration one transaction, so a crash
leaves the database as it was. SQLite's foreign keys are off meanwhile: batch mode copies
a table and drops the original, and with foreign keys on that drop would cascade.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from digitizer.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

HEAD = "0009"  # the newest revision in versions/ (a test checks the two agree)
_HERE = Path(__file__).resolve().parent
# the tables of revision 0001: what create_all made before migrations existed
_FIRST_TABLES = frozenset({"units", "documents", "pages", "ocr_words", "fields", "journal"})
# tables revision 0002 adds; create_all of an unreleased model made them before 0002 existed
_SECOND_TABLES = ("reuse_events", "audit", "dossiers")  # in an order they can be dropped
_LOCK_KEY = 0x6469676974697A  # "digitiz": pg_advisory_xact_lock key of store migrations


def stored_revision(engine: Engine) -> str | None:
    """The database's revision, or None when it has none (empty, or made by create_all)."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no alembic_version table (or no database: the upgrade will say)
        return None


def ensure_head(engine: Engine, shown_url: str) -> None:
    """Bring the database behind ``engine`` to :data:`HEAD`; ``shown_url`` is for messages
    (password hidden). Raises :class:`StoreError` for a database this code cannot use."""
    if stored_revision(engine) == HEAD:
        return
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        try:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            _migrate(conn, shown_url)
            conn.commit()
        finally:
            if sqlite:
                try:
                    conn.rollback()
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
                except SQLAlchemyError:
                    conn.invalidate()  # never back to the pool without its foreign keys


def _migrate(conn: Connection, shown_url: str) -> None:
    """Stamp a pre-migration database, refuse an unknown revision, upgrade to head; all
    inside the caller's transaction, which holds the migration lock."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["connection"] = conn
    script = ScriptDirectory.from_config(cfg)
    if script.get_current_head() != HEAD:
        raise RuntimeError(
            f"digitizer.store.migrations.HEAD is {HEAD}, versions/ says "
            f"{script.get_current_head()}: update HEAD"
        )
    known = {rev.revision for rev in script.walk_revisions()}
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" in tables:
        stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        unknown = [rev for rev in stored if rev not in known]
        if unknown:
            raise StoreError(
                f"the store at {shown_url} is at schema revision {', '.join(unknown)}, "
                f"which this digitizer does not know (it knows up to {HEAD}): it was "
                "upgraded by a newer digitizer; install that version again"
            )
    else:
        _stamp_pre_migration(conn, tables, shown_url, cfg)
    try:
        command.upgrade(cfg, "head")
    except CommandError as exc:
        raise StoreError(f"cannot upgrade the store at {shown_url}: {exc}") from exc
    log.debug("store %s at schema revision %s", shown_url, HEAD)


def _stamp_pre_migration(conn: Connection, tables: set[str], shown_url: str, cfg: Config) -> None:
    """Mark a database made by ``create_all`` with the revision its tables match."""
    from alembic import command

    ours = tables & (_FIRST_TABLES | set(_SECOND_TABLES))
    if not ours:
        return  # empty (or only other applications' tables): upgrade from nothing
    missing = _FIRST_TABLES - tables
    if missing:
        raise StoreError(
            f"the store at {shown_url} has some of digitizer's tables but not "
            f"{', '.join(sorted(missing))}: it is damaged or not a digitizer store"
        )
    columns = {c["name"] for c in inspect(conn).get_columns("documents")}
    if "dossier_id" in columns and set(_SECOND_TABLES) <= tables:
        revision = "0002"  # create_all of the 0002 model, before migrations were wired
    else:
        revision = "0001"
        for table in _SECOND_TABLES:
            # create_all of an unreleased model added these next to 0001 tables it could
            # not alter, so nothing could be written to them: 0002 makes them again
            if table in tables:
                if conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar():
                    raise StoreError(
                        f"the store at {shown_url} has rows in {table} but its documents "
                        "table predates it: it cannot be upgraded automatically"
                    )
                conn.execute(text(f"DROP TABLE {table}"))
    log.warning(
        "the store at %s was created before schema migrations: marking it as revision %s",
        shown_url,
        revision,
    )
    command.stamp(cfg, revision)
