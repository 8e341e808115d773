"""Alembic environment of the store, run only programmatically.

``digitizer.store.migrations.upgrade`` hands it an open connection (in
``config.attributes["connection"]``) already inside the transaction that holds the
migration lock, so this file neither creates an engine nor commits: the caller does.
Batch mode is on so that the same revision files ALTER SQLite tables (by copying them)
and PostgreSQL tables (in place).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from digitizer.store.models import Base


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "the store's migrations run through digitizer.store.migrations.upgrade, "
            "not the alembic command line"
        )
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        # SQLite DDL is transactional too once the caller has issued BEGIN IMMEDIATE
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("the store's migrations have no offline (--sql) mode")
run_migrations_online()
