"""An index on ``documents.reuse_of``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

When a clerk or a re-index changes a document's key, the documents that named it as the
earlier one are re-linked (``digitizer.store.reuse``): found by this index, not by a scan
of every document.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a store made by create_all of this model (stamped when first opened) has it
    indexes = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("documents")}
    if "ix_documents_reuse_of" not in indexes:
        op.create_index("ix_documents_reuse_of", "documents", ["reuse_of"])


def downgrade() -> None:
    op.drop_index("ix_documents_reuse_of", table_name="documents")
