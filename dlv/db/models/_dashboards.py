from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase
from advanced_alchemy.types import JsonB
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column


class Dashboard(UUIDAuditBase):
    """A saved lineage canvas: which graph was open and how it was laid out."""

    __tablename__ = "dashboards"

    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    # The owner's name is kept beside the id so a dashboard still says who made it after the
    # account is deleted (the id then becomes null).
    owner_id: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None)
    owner: Mapped[str] = mapped_column(String(150))
    layout: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
