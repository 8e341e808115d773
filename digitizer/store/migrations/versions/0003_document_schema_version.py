"""Documents remember the version of their type's schema they were understood with.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

``digitizer reindex`` re-reads (from the stored OCR words) the documents whose type's schema
has another version now. Documents registered before this revision get NULL: their version
is not known, so the first re-index reads them all once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a store made by create_all of this model (stamped 0002 when first opened) has it
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("documents")}
    if "schema_version" in columns:
        return
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(sa.Column("schema_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("schema_version")
