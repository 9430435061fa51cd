"""run history: the datasets each OpenLineage run read and wrote, when each facet shown on an
asset or process was observed, and an asset's data quality

Revision ID: 0010_run_history
Revises: 0009_audit_log
"""
from typing import Sequence, Union

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_run_history"
down_revision: Union[str, Sequence[str], None] = "0009_audit_log"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    for table in ("data_assets", "processes"):
        op.add_column(table, sa.Column("facet_times", _json(), server_default=sa.text("'{}'"), nullable=False))
    op.add_column("data_assets", sa.Column("quality", _json(), nullable=True))
    op.create_table(
        "run_datasets",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("asset_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("observed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["asset_id"], ["data_assets.id"], name=op.f("fk_run_datasets_asset_id_data_assets"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_datasets")),
        sa.UniqueConstraint("run_id", "asset_id", "direction", name="uq_run_datasets_run_asset_direction"),
    )
    op.create_index("ix_run_datasets_asset", "run_datasets", ["asset_id", "direction", "observed_at"])
    op.create_index(op.f("ix_run_datasets_run_id"), "run_datasets", ["run_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_run_datasets_run_id"), table_name="run_datasets")
    op.drop_index("ix_run_datasets_asset", table_name="run_datasets")
    op.drop_table("run_datasets")
    op.drop_column("data_assets", "quality")
    for table in ("processes", "data_assets"):
        op.drop_column(table, "facet_times")
