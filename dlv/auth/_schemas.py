"""Request and response shapes of the auth endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

RoleName = Literal["admin", "viewer"]
Username = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=150,
        pattern=r"^[A-Za-z0-9_.@-]+$",
        description="Letters, digits and _ . @ - only.",
    ),
]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str


class AccessToken(msgspec.Struct):
    access_token: str
    expires_in: int
    token_type: str = "bearer"


class Me(msgspec.Struct):
    id: UUID
    username: str
    role: str


class UserRead(msgspec.Struct):
    id: UUID
    username: str
    role: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Password
    role: RoleName = "viewer"


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """PATCH body: only the fields sent are changed."""

    role: RoleName | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET
    password: Password | msgspec.UnsetType = msgspec.UNSET


TokenRole = Literal["admin", "viewer", "ingest"]


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=150)]
    role: TokenRole = "ingest"
    expires_in_days: Annotated[
        int | None,
        msgspec.Meta(description="Days until the token stops working (1 to 3650); leave it out for a token that works until revoked."),
    ] = None


class TokenRead(msgspec.Struct):
    id: UUID
    name: str
    role: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None


class TokenCreated(TokenRead):
    """The only answer that carries the token's value: store it now, it is not shown again."""

    token: str
