"""Alert endpoints: channels (admins only: they hold where alerts go), rules (everyone reads,
admins change), fired alerts with every delivery attempt, and open-alert counts per subject
(the explorer's node badges)."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, Literal
from uuid import UUID

from advanced_alchemy.extensions.litestar.providers import create_service_dependencies
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.alerts._channels import ChannelService
from dlv.alerts._events import alert_page
from dlv.alerts._rules import RuleService, rule_read
from dlv.alerts._schemas import AlertPage, AlertRead, ChannelCreate, ChannelRead, ChannelUpdate, OpenAlerts, RuleCreate, RuleRead, RuleUpdate
from dlv.auth import requires_admin, requires_viewer
from dlv.config import Settings
from dlv.connectors import NetworkPolicy
from dlv.db.models import AlertEvent
from dlv.lib.crypto import SecretBox
from dlv.lib.exceptions import NotFound, invalid
from dlv.lib.paging import check_page

OPEN_IDS_MAX = 1000


@lru_cache(maxsize=4)
def _box(secret_key: str) -> SecretBox:
    return SecretBox(secret_key)


def provide_box(settings: NamedDependency[Settings]) -> SecretBox:
    return _box(settings.secret_key)


def provide_policy(settings: NamedDependency[Settings]) -> NetworkPolicy:
    return NetworkPolicy(block_private_networks=settings.block_private_networks)


class ChannelController(Controller):
    path = "/api/alerts/channels"
    tags = ["alerts"]
    guards = [requires_admin]
    dependencies = {
        **create_service_dependencies(ChannelService, key="channels"),
        "box": Provide(provide_box, sync_to_thread=False),
        "policy": Provide(provide_policy, sync_to_thread=False),
    }

    @get("/", summary="Alert channels (secrets are never returned)")
    async def list_channels(self, channels: NamedDependency[ChannelService]) -> list[ChannelRead]:
        found = await channels.list(order_by=[("name", False)])
        return [channels.to_schema(item, schema_type=ChannelRead) for item in found]  # type: ignore[misc]

    @post("/", summary="Add a webhook, Slack or e-mail channel")
    async def create_channel(
        self, channels: NamedDependency[ChannelService], box: NamedDependency[SecretBox], policy: NamedDependency[NetworkPolicy], data: JSONBody[ChannelCreate]
    ) -> ChannelRead:
        return channels.to_schema(await channels.create_channel(data, box, policy), schema_type=ChannelRead)

    @get("/{channel_id:uuid}", summary="One channel")
    async def get_channel(self, channels: NamedDependency[ChannelService], channel_id: FromPath[UUID]) -> ChannelRead:
        return channels.to_schema(await channels.get(channel_id), schema_type=ChannelRead)

    @patch("/{channel_id:uuid}", summary="Change a channel; secrets not sent are kept")
    async def update_channel(
        self,
        channels: NamedDependency[ChannelService],
        box: NamedDependency[SecretBox],
        policy: NamedDependency[NetworkPolicy],
        channel_id: FromPath[UUID],
        data: JSONBody[ChannelUpdate],
    ) -> ChannelRead:
        return channels.to_schema(await channels.update_channel(channel_id, data, box, policy), schema_type=ChannelRead)

    @delete("/{channel_id:uuid}", summary="Delete a channel (pending deliveries to it fail)")
    async def delete_channel(self, channels: NamedDependency[ChannelService], channel_id: FromPath[UUID]) -> None:
        await channels.get(channel_id)
        await channels.delete(channel_id)


class RuleController(Controller):
    path = "/api/alerts/rules"
    tags = ["alerts"]
    guards = [requires_viewer]
    dependencies = create_service_dependencies(RuleService, key="rules")

    @get("/", summary="Alert rules")
    async def list_rules(self, rules: NamedDependency[RuleService]) -> list[RuleRead]:
        return [RuleRead(**rule_read(rule)) for rule in await rules.list(order_by=[("name", False)])]

    @post("/", guards=[requires_admin], summary="Add a rule")
    async def create_rule(self, rules: NamedDependency[RuleService], data: JSONBody[RuleCreate]) -> RuleRead:
        return RuleRead(**rule_read(await rules.create_rule(data)))

    @get("/{rule_id:uuid}", summary="One rule")
    async def get_rule(self, rules: NamedDependency[RuleService], rule_id: FromPath[UUID]) -> RuleRead:
        return RuleRead(**rule_read(await rules.get(rule_id)))

    @patch("/{rule_id:uuid}", guards=[requires_admin], summary="Change a rule; fields not sent are kept")
    async def update_rule(self, rules: NamedDependency[RuleService], rule_id: FromPath[UUID], data: JSONBody[RuleUpdate]) -> RuleRead:
        return RuleRead(**rule_read(await rules.update_rule(rule_id, data)))

    @delete("/{rule_id:uuid}", guards=[requires_admin], summary="Delete a rule (its fired alerts stay)")
    async def delete_rule(self, rules: NamedDependency[RuleService], rule_id: FromPath[UUID]) -> None:
        await rules.remove(rule_id)


class AlertEventController(Controller):
    path = "/api/alerts"
    tags = ["alerts"]
    guards = [requires_viewer]

    @get("/events", summary="Fired alerts, newest first, each with its deliveries and every attempt")
    async def list_events(
        self,
        db_session: NamedDependency[AsyncSession],
        limit: Annotated[int, QueryParameter(description="1 to 200")] = 50,
        offset: FromQuery[int] = 0,
        status: Annotated[Literal["open", "resolved"] | None, QueryParameter(description="Only open or resolved alerts.")] = None,
        subject_id: Annotated[UUID | None, QueryParameter(description="Only alerts about this asset, process or node.")] = None,
    ) -> AlertPage:
        check_page(limit, offset, 200)
        return await alert_page(db_session, limit, offset, status, subject_id)

    @get("/open", summary="Open alerts per asset, process or node id (for graph badges)")
    async def open_counts(
        self,
        db_session: NamedDependency[AsyncSession],
        ids: Annotated[str | None, QueryParameter(description="Comma-separated asset, process or node ids; without it, every subject with an open alert.")] = None,
    ) -> OpenAlerts:
        """Without ``ids`` (what the explorer asks, whatever the size of its graph): every
        subject with an open alert, at most OPEN_IDS_MAX of them."""
        query = select(AlertEvent.subject_id, func.count()).where(AlertEvent.resolved_at.is_(None))
        if ids is not None:
            try:
                wanted = list(dict.fromkeys(UUID(item.strip()) for item in ids.split(",") if item.strip()))
            except ValueError:
                raise invalid("ids", "send comma-separated UUIDs of assets, processes or nodes", "query") from None
            if len(wanted) > OPEN_IDS_MAX:
                raise invalid("ids", f"send at most {OPEN_IDS_MAX} ids", "query")
            query = query.where(AlertEvent.subject_id.in_(wanted))
        rows = await db_session.execute(query.group_by(AlertEvent.subject_id).order_by(AlertEvent.subject_id).limit(OPEN_IDS_MAX))
        return OpenAlerts(counts={str(subject_id): count for subject_id, count in rows})

    @post("/events/{alert_id:uuid}/resolve", guards=[requires_admin], status_code=200, summary="Mark an alert resolved")
    async def resolve(self, db_session: NamedDependency[AsyncSession], alert_id: FromPath[UUID]) -> AlertRead:
        alert = await db_session.get(AlertEvent, alert_id)
        if alert is None:
            raise NotFound(f"No alert with id {alert_id}.", field="alert_id", source="path")
        alert.resolved_at = alert.resolved_at or datetime.now(timezone.utc)
        await db_session.flush()
        return (await alert_page(db_session, 1, 0, None, None, alert_id=alert_id)).items[0]
