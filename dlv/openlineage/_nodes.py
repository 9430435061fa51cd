"""Linking datasets to the catalog node they live in, by the address their dataSource facet
(or namespace) names."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from sqlalchemy import event as orm_event, select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import Node
from dlv.openlineage._facets import Key, key
from dlv.openlineage._spec import Dataset

Address = tuple[str, int | None]


class _NodeAddresses:
    """Where each catalog node lives, cached per database for the process: without it every
    event would read the whole node table to link its datasets. Node writes in this process
    clear it at once (ORM events); writes by another process are seen within ``TTL`` seconds
    (a link to a node deleted meanwhile is skipped, see ``link_nodes``)."""

    TTL = 10.0

    def __init__(self) -> None:
        self._cached: dict[str, tuple[float, list[tuple[UUID, Address]]]] = {}
        for change in ("after_insert", "after_update", "after_delete"):
            orm_event.listen(Node, change, self.clear)

    def clear(self, *_: Any) -> None:
        self._cached.clear()

    async def get(self, session: AsyncSession) -> list[tuple[UUID, Address]]:
        database = str(session.bind.engine.url)
        loaded_at, addresses = self._cached.get(database, (float("-inf"), []))
        if time.monotonic() - loaded_at > self.TTL:
            rows = await session.execute(select(Node.id, Node.config))
            addresses = [(node_id, address) for node_id, config in rows if (address := _node_address(config or {}))]
            self._cached[database] = (time.monotonic(), addresses)
        return addresses


def _host_port(uri: str | None) -> Address | None:
    if not uri or "://" not in uri:
        return None
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    return (parts.hostname.lower(), port) if parts.hostname else None


def _node_address(config: dict[str, Any]) -> Address | None:
    """Where a catalog node lives: host/port (databases) or the base URL (APIs)."""
    if config.get("host"):
        port = config.get("port")
        return str(config["host"]).lower(), int(port) if isinstance(port, int) else None
    return _host_port(config.get("base_url"))


NODE_ADDRESSES = _NodeAddresses()


def _matches(addresses: list[Address], node_address: Address) -> bool:
    return any(host == node_address[0] and None in (port, node_address[1]) or (host, port) == node_address for host, port in addresses)


async def link_nodes(session: AsyncSession, datasets: list[Dataset], assets: dict[Key, Any]) -> None:
    """Link assets (anything with ``node_id``) to the catalog node at the address their
    dataSource (or namespace) names."""
    nodes = await NODE_ADDRESSES.get(session)
    if not nodes:
        return
    wanted: dict[Key, list[Address]] = {}
    for dataset in datasets:
        asset = assets.get(key(dataset))
        if asset is None or asset.node_id is not None:
            continue
        source = dataset.facets.data_source
        addresses = [_host_port(uri) for uri in ((source.uri, source.name) if source else ()) + (dataset.namespace,)]
        if any(addresses):
            wanted[key(dataset)] = [address for address in addresses if address]
    for item, addresses in wanted.items():
        for node_id, node_address in nodes:
            if _matches(addresses, node_address):
                # The address list may predate a node's deletion in another process.
                if await session.get(Node, node_id) is not None:
                    assets[item].node_id = node_id
                break
