"""Accounts of the office's web workspace (``users``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Clerks, the office head and IT sign in to ``digitizer serve`` with a name and a password
(kept as its argon2id hash); every decision made there is audited under that name.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TABLE = "users"


def upgrade() -> None:
    # a store made by create_all of this model (stamped when first opened) has it
    if _TABLE in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=64), nullable=False, unique=True),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_by", sa.String(length=64), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table(_TABLE)
