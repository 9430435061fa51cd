"""Every table DLV stores; import from here so Alembic sees the whole metadata."""

from advanced_alchemy.base import orm_registry

from dlv.db.models._alerts import AlertAttempt, AlertChannel, AlertDelivery, AlertEvent, AlertRule
from dlv.db.models._audit import AuditEntry
from dlv.db.models._dashboards import Dashboard
from dlv.db.models._lineage import ASSET, PROCESS, DataAsset, LineageEdge, Process, Run, RunDataset
from dlv.db.models._nodes import Node, NodeCheck
from dlv.db.models._outbox import GraphOutbox
from dlv.db.models._openlineage import AssetAlias, LineageEvent
from dlv.db.models._tokens import TOKEN_ROLES, ApiToken
from dlv.db.models._users import OidcLogin, Role, User

metadata = orm_registry.metadata

__all__ = [
    "ASSET",
    "PROCESS",
    "TOKEN_ROLES",
    "AlertAttempt",
    "AlertChannel",
    "AlertDelivery",
    "AlertEvent",
    "AlertRule",
    "ApiToken",
    "AssetAlias",
    "AuditEntry",
    "Dashboard",
    "DataAsset",
    "GraphOutbox",
    "LineageEdge",
    "LineageEvent",
    "Node",
    "OidcLogin",
    "NodeCheck",
    "Process",
    "Role",
    "Run",
    "RunDataset",
    "User",
    "metadata",
]
