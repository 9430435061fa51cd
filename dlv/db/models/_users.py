from __future__ import annotations

import enum
from datetime import datetime

from advanced_alchemy.base import DefaultBase, UUIDAuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class Role(str, enum.Enum):
    ADMIN = "admin"
    VIEWER = "viewer"


class User(UUIDAuditBase):
    __tablename__ = "users"
    # A person signed in through the OpenID provider is known by issuer and subject (which
    # never change), not by a username (which they may); local users have neither.
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_identity"),)

    username: Mapped[str] = mapped_column(String(150), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.VIEWER.value)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    oidc_issuer: Mapped[str | None] = mapped_column(String(500), default=None)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), default=None)


class OidcLogin(DefaultBase):
    """A single sign-on started and not yet finished: the callback consumes its row (so a
    replayed callback finds none) and only within the lifetime the callback checks."""

    __tablename__ = "oidc_logins"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
