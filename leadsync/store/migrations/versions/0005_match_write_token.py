"""match index write token

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 15:05:00.000000

A run keeps the match index rows it has read or written from batch to batch, and may use them
only while nobody else has written the index. Every write through the index stores a new
random token in the state row; a run that finds the token its rows are as of knows they are
still current. Two triggers give a new token to writes that bypass the index, too: a golden
lead deleted elsewhere (its key row goes by the foreign key's cascade), and an update of the
state row that leaves the token as it was (a worker still running code older than this
revision).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SQLITE_TOKEN = "(random() & 4611686018427387903) + 1"
_POSTGRES_TOKEN = "floor(random() * 4611686018427387903)::bigint + 1"


def upgrade() -> None:
    with op.batch_alter_table("match_state") as batch:
        batch.add_column(
            sa.Column("write_token", sa.BigInteger(), server_default="0", nullable=False)
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION match_state_new_token() RETURNS trigger AS $$
            BEGIN
                UPDATE match_state SET write_token = {_POSTGRES_TOKEN} WHERE id = 1;
                RETURN NULL;
            END $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER match_records_deleted AFTER DELETE ON match_records "
            "FOR EACH STATEMENT EXECUTE FUNCTION match_state_new_token()"
        )
        op.execute(
            f"""
            CREATE FUNCTION match_state_keep_token_new() RETURNS trigger AS $$
            BEGIN
                IF NEW.write_token = OLD.write_token THEN
                    NEW.write_token := {_POSTGRES_TOKEN};
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER match_state_updated BEFORE UPDATE ON match_state "
            "FOR EACH ROW EXECUTE FUNCTION match_state_keep_token_new()"
        )
    else:
        op.execute(
            "CREATE TRIGGER match_records_deleted AFTER DELETE ON match_records BEGIN "
            f"UPDATE match_state SET write_token = {_SQLITE_TOKEN} WHERE id = 1; END"
        )
        op.execute(
            "CREATE TRIGGER match_state_updated AFTER UPDATE ON match_state "
            "WHEN NEW.write_token = OLD.write_token BEGIN "
            f"UPDATE match_state SET write_token = {_SQLITE_TOKEN} WHERE id = NEW.id; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER match_state_updated ON match_state")
        op.execute("DROP FUNCTION match_state_keep_token_new()")
        op.execute("DROP TRIGGER match_records_deleted ON match_records")
        op.execute("DROP FUNCTION match_state_new_token()")
    else:
        op.execute("DROP TRIGGER match_state_updated")
        op.execute("DROP TRIGGER match_records_deleted")
    with op.batch_alter_table("match_state") as batch:
        batch.drop_column("write_token")
