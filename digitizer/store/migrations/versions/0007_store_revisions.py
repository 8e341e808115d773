"""When the store reached revision 0006: from then on every document has a state entry.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

``digitizer check`` counts a document without any state entry as "not tied" (from before
state entries) only if it was created before the store reached 0006; one created since was
written behind the program's back. It used to take that moment from the first entry with a
state, which is gone when every entry is deleted: then every document counted as old. The
moment is kept here instead (``store_revisions``, one row a revision that matters): the
time of the first state entry for a store that reached 0006 earlier, else now (a store
upgraded to 0006 in this same run, or a new one).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TABLE = "store_revisions"


def _first_state_at(conn: sa.Connection) -> dt.datetime | None:
    audit = sa.table(
        "audit",
        sa.column("id", sa.Integer),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("state", sa.String),
    )
    query = sa.select(audit.c.at).where(audit.c.state.is_not(None)).order_by(audit.c.id).limit(1)
    return conn.execute(query).scalar()


def upgrade() -> None:
    conn = op.get_bind()
    if _TABLE not in sa.inspect(conn).get_table_names():
        op.create_table(
            _TABLE,
            sa.Column("revision", sa.String(length=32), primary_key=True),
            sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        )
    table = sa.table(
        _TABLE, sa.column("revision", sa.String), sa.column("reached_at", sa.DateTime(True))
    )
    if conn.execute(sa.select(table.c.revision).where(table.c.revision == "0006")).first():
        return
    reached = _first_state_at(conn) or dt.datetime.now(dt.UTC)
    conn.execute(sa.insert(table).values(revision="0006", reached_at=reached))


def downgrade() -> None:
    op.drop_table(_TABLE)
