"""Dossiers, the audit hash chain, reuse events; documents join a dossier and carry their
type's key value; fields keep their box, a diacritic-free value and where they came from.

Revision ID: 0002
Revises: 0001
Create Date: 2025-07-01

Fields registered before this revision get ``origin = 'ocr'`` (all of them were read by
OCR) and their ``value_folded`` computed here, so that diacritic-free look-ups find old
documents too. ``documents.key_value`` stays empty for old documents: the key field of a
type comes from the office's schemas, which a migration does not read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digitizer.understanding.vntext import fold

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_CHUNK = 5000


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=True),
        sa.Column("field_name", sa.String(length=64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hash"),
    )
    with op.batch_alter_table("audit") as batch_op:
        batch_op.create_index("ix_audit_document_id", ["document_id"], unique=False)

    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("procedure", sa.String(length=300), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digitized", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("awaiting_review", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("reused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("dossiers") as batch_op:
        batch_op.create_index("ix_dossiers_received_on", ["received_on"], unique=False)
        batch_op.create_index("ix_dossiers_unit_id", ["unit_id"], unique=False)
        batch_op.create_index(
            "ix_dossiers_rates",
            ["unit_id", "received_on", "digitized", "awaiting_review", "reused"],
        )

    op.create_table(
        "reuse_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reuse_events") as batch_op:
        batch_op.create_index("ix_reuse_events_document_id", ["document_id"], unique=False)
        batch_op.create_index("ix_reuse_events_dossier_id", ["dossier_id"], unique=False)

    # A foreign key can't be added to an SQLite table: batch mode copies the table.
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(sa.Column("dossier_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("key_value", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reuse_of", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_documents_dossier_id", ["dossier_id"], unique=False)
        batch_op.create_index("ix_documents_type_key", ["doc_type", "key_value"], unique=False)
        batch_op.create_index("ix_documents_dossier_status", ["dossier_id", "status"])
        batch_op.create_index(
            "ix_documents_unit_type_status_created",
            ["unit_id", "doc_type", "status", "created_at"],
        )
        # the name PostgreSQL gives the constraint when create_all makes it
        batch_op.create_foreign_key("documents_dossier_id_fkey", "dossiers", ["dossier_id"], ["id"])

    with op.batch_alter_table("fields") as batch_op:
        batch_op.add_column(sa.Column("left", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("top", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("height", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("value_folded", sa.String(length=255), nullable=True))
        # every field stored so far was read by OCR
        batch_op.add_column(
            sa.Column("origin", sa.String(length=8), nullable=False, server_default="ocr")
        )
        # text_pattern_ops: PostgreSQL can use the index for LIKE 'prefix%' in any collation
        batch_op.create_index(
            "ix_fields_name_folded",
            ["name", "value_folded"],
            unique=False,
            postgresql_ops={"value_folded": "text_pattern_ops"},
        )
        batch_op.create_index("ix_fields_name_value", ["name", "value"], unique=False)

    _fold_existing_values()


def _fold_existing_values() -> None:
    """``value_folded`` of the fields registered before this revision, a chunk at a time."""
    fields = sa.table(
        "fields",
        sa.column("id", sa.Integer()),
        sa.column("value", sa.Text()),
        sa.column("value_folded", sa.String(255)),
    )
    bind = op.get_bind()
    update = (
        sa.update(fields)
        .where(fields.c.id == sa.bindparam("b_id"))
        .values(value_folded=sa.bindparam("b_folded"))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(fields.c.id, fields.c.value)
            .where(fields.c.id > last, fields.c.value.is_not(None))
            .order_by(fields.c.id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            return
        bind.execute(update, [{"b_id": i, "b_folded": fold(v)[:255]} for i, v in rows])
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("fields") as batch_op:
        batch_op.drop_index("ix_fields_name_value")
        batch_op.drop_index("ix_fields_name_folded")
        for column in ("origin", "value_folded", "height", "width", "top", "left"):
            batch_op.drop_column(column)

    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_constraint("documents_dossier_id_fkey", type_="foreignkey")
        batch_op.drop_index("ix_documents_unit_type_status_created")
        batch_op.drop_index("ix_documents_dossier_status")
        batch_op.drop_index("ix_documents_type_key")
        batch_op.drop_index("ix_documents_dossier_id")
        for column in ("reuse_of", "key_value", "dossier_id"):
            batch_op.drop_column(column)

    for table in ("reuse_events", "dossiers", "audit"):
        op.drop_table(table)
