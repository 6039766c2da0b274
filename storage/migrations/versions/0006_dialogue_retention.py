"""Mark dialogues with an intake under way, so abandoned answers can be forgotten.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dialogues") as batch:
        batch.add_column(
            sa.Column("open_intake", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_dialogues_open_intake", "dialogues", ["open_intake", "last_message_at"])


def downgrade() -> None:
    op.drop_index("ix_dialogues_open_intake", "dialogues")
    with op.batch_alter_table("dialogues") as batch:
        batch.drop_column("open_intake")
