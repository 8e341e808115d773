"""Label wordings learned from clerks' corrections (``learned_labels``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10

A clerk who types a value the pipeline could not find teaches the words that labelled it
on the page (:mod:`digitizer.learning`); they are read as one more label of that field for
the office's next documents of that type, and ``digitizer reindex`` re-reads the older ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TABLE = "learned_labels"


def upgrade() -> None:
    # a store made by create_all of this model (stamped when first opened) has it
    if _TABLE in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("doc_type", sa.String(length=64), nullable=False),
        sa.Column("field_name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("label_folded", sa.String(length=200), nullable=False),
        sa.Column("placement", sa.String(length=8), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("taught_by", sa.String(length=64), nullable=False),
        sa.Column("taught_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forgotten_by", sa.String(length=64), nullable=True),
        sa.Column("forgotten_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reread", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.UniqueConstraint(
            "unit_code", "doc_type", "field_name", "label_folded", name="uq_learned_label"
        ),
    )


def downgrade() -> None:
    op.drop_table(_TABLE)
