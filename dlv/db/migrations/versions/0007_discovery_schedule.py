"""discovery schedule: an optional per-node interval between scheduled discoveries

Revision ID: 0007_discovery_schedule
Revises: 0006_graph_outbox
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007_discovery_schedule"
down_revision: Union[str, Sequence[str], None] = "0006_graph_outbox"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A batch operation, so SQLite (which cannot alter every column in place) takes it too.
    with op.batch_alter_table("nodes") as batch:
        batch.add_column(sa.Column("discovery_interval_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nodes") as batch:
        batch.drop_column("discovery_interval_seconds")
