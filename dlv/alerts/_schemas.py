"""Request and response shapes of alert channels, rules and fired alerts.

Secret channel fields (a webhook's ``secret``, a Slack webhook ``url``) are write-only:
answers show them as null and name them in ``secrets_set``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Description = Annotated[str, msgspec.Meta(max_length=10_000)]
ChannelKind = Literal["webhook", "slack", "email"]
ConditionKind = Literal["run_failed", "freshness", "node_error", "schema_changed", "quality_failed"]
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Secret = Annotated[str, msgspec.Meta(min_length=8, max_length=1000)]
Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
Ids = Annotated[list[UUID], msgspec.Meta(max_length=1000)]
Labels = Annotated[list[Label], msgspec.Meta(max_length=100)]
# Freshness: from a minute to thirty days without a write (or a completed run).
MaxAge = Annotated[int, msgspec.Meta(ge=60, le=30 * 86_400, description="Seconds without a write (asset) or a completed run (process).")]


class WebhookConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url
    # Signs each body: X-DLV-Signature: sha256=<hex HMAC-SHA256(secret, body)>.
    secret: Secret | None = None


class SlackConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # The incoming-webhook URL is itself the credential: stored sealed, never shown.
    url: Url | None = None


class EmailConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to: Annotated[list[Email], msgspec.Meta(max_length=100)] = []


CONFIGS: dict[str, type[msgspec.Struct]] = {"webhook": WebhookConfig, "slack": SlackConfig, "email": EmailConfig}
SECRET_FIELDS: dict[str, tuple[str, ...]] = {"webhook": ("secret",), "slack": ("url",), "email": ()}


class ChannelCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    kind: ChannelKind
    config: dict[str, Any] = {}


class ChannelUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PATCH body: ``config`` is merged key by key, so a secret not sent is kept."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    config: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class ChannelRead(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    kind: str
    config: dict[str, Any]
    secrets_set: list[str]
    created_at: datetime
    updated_at: datetime


class Condition(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: ConditionKind
    max_age_seconds: MaxAge | None = None


class Scope(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=False):
    """What a rule watches: a subject is in scope when it matches any list; all empty: everything."""

    asset_ids: Ids = []
    process_ids: Ids = []
    node_ids: Ids = []
    namespaces: Labels = []
    tags: Labels = []


class RuleCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    condition: Condition
    description: Description | None = None
    enabled: bool = True
    scope: Scope = msgspec.field(default_factory=Scope)
    channel_ids: Annotated[list[UUID], msgspec.Meta(max_length=50)] = []
    notify_downstream_owners: bool = False


class RuleUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    condition: Condition | msgspec.UnsetType = msgspec.UNSET
    description: Description | None | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    scope: Scope | msgspec.UnsetType = msgspec.UNSET
    channel_ids: Annotated[list[UUID], msgspec.Meta(max_length=50)] | msgspec.UnsetType = msgspec.UNSET
    notify_downstream_owners: bool | msgspec.UnsetType = msgspec.UNSET


class RuleRead(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    description: str | None
    enabled: bool
    condition: Condition
    scope: Scope
    channel_ids: list[UUID]
    notify_downstream_owners: bool
    created_at: datetime
    updated_at: datetime


class AttemptRead(msgspec.Struct, kw_only=True):
    attempted_at: datetime
    ok: bool
    status_code: int | None
    message: str


class DeliveryRead(msgspec.Struct, kw_only=True):
    id: UUID
    channel_id: UUID | None
    channel_name: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    attempt_log: list[AttemptRead]


class AlertRead(msgspec.Struct, kw_only=True):
    id: UUID
    rule_id: UUID | None
    rule_name: str
    kind: str
    subject_type: str
    subject_id: UUID
    subject_name: str
    message: str
    detail: dict[str, Any]
    occurred_at: datetime
    resolved_at: datetime | None
    payload: dict[str, Any] | None
    deliveries: list[DeliveryRead]


class AlertPage(msgspec.Struct, kw_only=True):
    items: list[AlertRead]
    total: int
    limit: int
    offset: int


class OpenAlerts(msgspec.Struct, kw_only=True):
    """Open (unresolved) alerts per subject id: what graph badges show."""

    counts: dict[str, int]
