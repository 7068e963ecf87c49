"""routing day counts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:20:00.000000

Daily caps compared each rep's count of the day's assignments, and counting read every one of
the day's ``routing_assignments`` rows in every routing batch. The counts are now kept per
owner and day beside the assignments; the upgrade fills them from the assignments stored so far.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_day_counts",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=False),
        sa.Column("assigned", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "owner", name=op.f("pk_routing_day_counts")),
    )
    op.execute(
        "INSERT INTO routing_day_counts (day, owner, assigned) "
        "SELECT day, owner, count(*) FROM routing_assignments GROUP BY day, owner"
    )


def downgrade() -> None:
    op.drop_table("routing_day_counts")
