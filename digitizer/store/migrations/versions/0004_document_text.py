"""The full-text table (``document_text``) and its index, made by the migration.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

It used to be made by the first ``digitizer lookup`` that needed it, which left two
processes free to race to create it (several workers on one PostgreSQL store) and a store
whose schema depended on which commands had run. A store where a lookup already made it
keeps it as it is.
"""

from __future__ import annotations

from alembic import op

from digitizer.store.lookup import drop_text_index, ensure_text_index

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_text_index(op.get_bind())


def downgrade() -> None:
    drop_text_index(op.get_bind())
