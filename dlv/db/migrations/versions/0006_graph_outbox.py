"""graph outbox: lineage edges changed since Neo4j last saw them

Revision ID: 0006_graph_outbox
Revises: 0005_dashboards
"""
from typing import Sequence, Union

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0006_graph_outbox"
down_revision: Union[str, Sequence[str], None] = "0005_dashboards"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "graph_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(always=False, start=1), nullable=False),
        sa.Column("edge_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("applied_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_outbox")),
    )
    op.create_index("ix_graph_outbox_pending", "graph_outbox", ["applied_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_graph_outbox_pending", table_name="graph_outbox")
    op.drop_table("graph_outbox")
