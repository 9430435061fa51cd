"""token expiry: API tokens may carry an expiry time after which they stop working

Revision ID: 0008_token_expiry
Revises: 0007_discovery_schedule
"""
from typing import Sequence, Union

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0008_token_expiry"
down_revision: Union[str, Sequence[str], None] = "0007_discovery_schedule"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
