"""Alert channels: validated configs, secrets sealed at rest, URLs held to the SSRF policy."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService

from dlv.alerts._rules import ensure_name_free
from dlv.alerts._schemas import CONFIGS, SECRET_FIELDS, ChannelCreate, ChannelUpdate
from dlv.connectors import NetworkPolicy, blocked_reason
from dlv.db.models import AlertChannel
from dlv.lib.crypto import SecretBox, SecretsUnreadable
from dlv.lib.exceptions import Conflict, invalid, validation_location


def check_url(url: str, policy: NetworkPolicy, field: str = "config.url") -> None:
    """An http(s) URL naming a host, without credentials, and not an address DLV refuses to
    reach (the node connectors' classifier). Names are resolved again at each delivery."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError when out of range
    except ValueError as exc:
        raise invalid(field, f"not a valid URL ({exc}); send e.g. https://hooks.example.com/dlv") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(field, "send an http:// or https:// URL naming a host, e.g. https://hooks.example.com/dlv")
    if parts.username is not None or parts.password is not None:
        raise invalid(field, "must not hold credentials; a webhook signs its body with its secret instead")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return
    reason = blocked_reason(address, policy)
    if reason:
        raise invalid(field, f"DLV refuses to send to {parts.hostname}: {reason}")


REQUIRED = {"webhook": ("url", "secret"), "slack": ("url",), "email": ()}


def _parse(kind: str, config: dict[str, Any]) -> msgspec.Struct:
    try:
        return msgspec.convert(config, CONFIGS[kind])
    except msgspec.ValidationError as exc:
        path, message = validation_location(exc)
        raise invalid("config" + path.removeprefix("$"), message) from None


def split_config(kind: str, config: dict[str, Any], policy: NetworkPolicy) -> tuple[dict[str, Any], dict[str, Any]]:
    """(public config with secrets as null, the secrets that are set) of a full config."""
    parsed = msgspec.to_builtins(_parse(kind, config))
    for field in REQUIRED[kind]:
        if not parsed.get(field):
            raise invalid(f"config.{field}", f"a {kind} channel needs config.{field}")
    if parsed.get("url"):
        check_url(parsed["url"], policy)
    secrets = {name: parsed[name] for name in SECRET_FIELDS[kind] if parsed.get(name) is not None}
    public = {name: (None if name in SECRET_FIELDS[kind] else value) for name, value in parsed.items()}
    return public, secrets


class ChannelService(SQLAlchemyAsyncRepositoryService[AlertChannel]):
    class Repo(SQLAlchemyAsyncRepository[AlertChannel]):
        model_type = AlertChannel

    repository_type = Repo

    async def create_channel(self, data: ChannelCreate, box: SecretBox, policy: NetworkPolicy) -> AlertChannel:
        public, secrets = split_config(data.kind, data.config, policy)
        await ensure_name_free(self, data.name, "channel")
        channel = AlertChannel(name=data.name, kind=data.kind)
        _apply(channel, public, secrets, box)
        return await self.create(channel)

    async def update_channel(self, channel_id: UUID, data: ChannelUpdate, box: SecretBox, policy: NetworkPolicy) -> AlertChannel:
        channel = await self.get(channel_id)
        if data.config is not msgspec.UNSET:
            merged = {**_stored_config(channel, box), **data.config}
            _apply(channel, *split_config(channel.kind, merged, policy), box)
        if data.name is not msgspec.UNSET:
            await ensure_name_free(self, data.name, "channel", channel.id)
            channel.name = data.name
        return await self.update(channel)


def _apply(channel: AlertChannel, public: dict[str, Any], secrets: dict[str, Any], box: SecretBox) -> None:
    channel.config = public
    channel.encrypted_secrets = box.seal(secrets) if secrets else None
    channel.secrets_set = sorted(secrets)


def _stored_config(channel: AlertChannel, box: SecretBox) -> dict[str, Any]:
    try:
        return full_config(channel, box)
    except SecretsUnreadable as exc:
        raise Conflict(f"Cannot change channel {channel.name!r}: {exc}. Send every secret field again.", field="config") from None


def full_config(channel: AlertChannel, box: SecretBox) -> dict[str, Any]:
    """The channel's config with its secrets (raises SecretsUnreadable)."""
    secrets = box.open(channel.encrypted_secrets) if channel.encrypted_secrets else {}
    return {**channel.config, **{name: value for name, value in secrets.items()}}
