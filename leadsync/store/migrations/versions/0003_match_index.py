"""match index in the store

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:45:43.513384

The stored match index: one packed comparison key per golden lead, its candidate blocks by
stable hash (one row per block, its members packed oldest first), first-name/surname counts and
one state row. The tables start empty; the first job after the upgrade indexes the golden leads
that predate them (leadsync.sync.matching.stored), because keys depend on the project's matching
settings, which a migration does not know.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_blocks",
        sa.Column(
            "block_hash",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("members", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("block_hash", name=op.f("pk_match_blocks")),
    )
    op.create_table(
        "match_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("built_with", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_state")),
    )
    op.create_table(
        "match_terms",
        sa.Column("term", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_match_terms")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "match_records",
        sa.Column(
            "golden_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("key", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["golden_id"],
            ["golden_leads.id"],
            name=op.f("fk_match_records_golden_id_golden_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("golden_id", name=op.f("pk_match_records")),
    )


def downgrade() -> None:
    op.drop_table("match_records")
    op.drop_table("match_terms")
    op.drop_table("match_state")
    op.drop_table("match_blocks")
