"""Users: storage, password checks and the rule that an active admin always remains."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import func, select

from dlv.auth._passwords import DEFAULT_MIN_PASSWORD_LENGTH, hash_password, password_problem, verify_password
from dlv.db.models import ApiToken, Role, User
from dlv.lib.exceptions import BadRequest, Conflict


class UserService(SQLAlchemyAsyncRepositoryService[User]):
    class Repo(SQLAlchemyAsyncRepository[User]):
        model_type = User

    repository_type = Repo

    async def authenticate(self, username: str, password: str) -> User | None:
        """The active user with these credentials, or None (same cost either way)."""
        user = await self.get_one_or_none(username=username)
        valid = await verify_password(user.password_hash if user else None, password)
        if not valid or user is None or not user.is_active:
            return None
        return user

    async def create_user(
        self, username: str, password: str, role: str, *, min_password_length: int = DEFAULT_MIN_PASSWORD_LENGTH
    ) -> User:
        _check_password(password, username, min_password_length)
        if await self.exists(username=username):
            raise Conflict(f"A user named {username!r} already exists; choose another username.", field="username")
        return await self.create(User(username=username, password_hash=await hash_password(password), role=role))

    async def set_password(self, user: User, password: str, *, min_password_length: int = DEFAULT_MIN_PASSWORD_LENGTH) -> User:
        _check_password(password, user.username, min_password_length)
        user.password_hash = await hash_password(password)
        return await self.update(user)

    async def _active_admins(self) -> int:
        statement = select(func.count()).select_from(User).where(User.role == Role.ADMIN.value, User.is_active.is_(True))
        return int(await self.repository.session.scalar(statement) or 0)

    async def ensure_not_last_admin(self, user: User, action: str) -> None:
        if user.role == Role.ADMIN.value and user.is_active and await self._active_admins() <= 1:
            raise Conflict(
                f"Cannot {action} {user.username!r}: it is the last active admin. Make another user admin first.",
                field="role",
            )

    async def change(
        self,
        user_id: UUID,
        *,
        role: str | None,
        is_active: bool | None,
        password: str | None,
        min_password_length: int = DEFAULT_MIN_PASSWORD_LENGTH,
    ) -> User:
        user = await self.get(user_id)
        if role is not None and role != user.role and role != Role.ADMIN.value:
            await self.ensure_not_last_admin(user, "demote")
        if is_active is False and user.is_active:
            await self.ensure_not_last_admin(user, "deactivate")
        if role is not None:
            user.role = role
        if is_active is not None:
            user.is_active = is_active
        if password is not None:
            return await self.set_password(user, password, min_password_length=min_password_length)
        return await self.update(user)

    async def remove(self, user_id: UUID) -> None:
        """Delete the user and revoke the API tokens they created, in one transaction: a token
        must not outlive the person answerable for it (tokens made with the CLI have no creator)."""
        user = await self.get(user_id)
        await self.ensure_not_last_admin(user, "delete")
        now = datetime.now(timezone.utc)
        live = select(ApiToken).where(ApiToken.created_by == user_id, ApiToken.revoked_at.is_(None))
        for token in await self.repository.session.scalars(live):
            token.revoked_at = now  # through the ORM: the audit log records each revoke
        await self.delete(user_id)

    async def ensure_bootstrap_admin(
        self, username: str, password: str | None, *, min_password_length: int = DEFAULT_MIN_PASSWORD_LENGTH
    ) -> str | None:
        """Create the first admin when there are no users; return a generated password to show once."""
        if await self.count() > 0:
            return None
        generated = None
        if not password:
            # token_urlsafe(n) gives about 1.3 n characters: long enough for any minimum.
            password = generated = secrets.token_urlsafe(max(12, min_password_length))
        await self.create_user(username, password, Role.ADMIN.value, min_password_length=min_password_length)
        return generated


def _check_password(password: str, username: str, min_length: int) -> None:
    if problem := password_problem(password, username, min_length):
        raise BadRequest(f"Invalid field password: {problem}.", field="password")
