"""Every table DLV stores; import from here so Alembic sees the whole metadata."""

from advanced_alchemy.base import orm_registry

from dlv.db.models._users import Role, User

metadata = orm_registry.metadata

__all__ = ["Role", "User", "metadata"]
