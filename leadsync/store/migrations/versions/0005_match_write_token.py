"""match index write token

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 15:05:00.000000

A run keeps the match index rows it has read or written from batch to batch, and may use them
only while nobody else has written the index. Every write now stores a new random token in
the state row; a run that finds the token it wrote itself knows its rows are still current.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_state") as batch:
        batch.add_column(
            sa.Column("write_token", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("match_state") as batch:
        batch.drop_column("write_token")
