"""Audit entries carry the digest of the state they left their document in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

``digitizer check`` recomputes every document's state (status, type, fields) and compares
it with the newest audit entry that recorded one, so a field value or a status edited in the
database behind the program's back is named. Entries made before this revision get NULL:
their documents count as "not tied", not as tampered.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a store made by create_all of this model (stamped when first opened) has it
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("audit")}
    if "state" in columns:
        return
    with op.batch_alter_table("audit") as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit") as batch_op:
        batch_op.drop_column("state")
