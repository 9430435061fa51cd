"""Live status events: a per-process broadcaster (shared over Redis with ``DLV_REDIS_URL``) and
the ``GET /api/events`` SSE stream."""

from dlv.events._broker import (
    Event,
    EventBroker,
    Subscription,
    publish_after_commit,
    publish_lineage_changed,
    publish_node_status,
    publish_run_state,
)
from dlv.events._controllers import EventController
from dlv.events._redis import RedisRelay, redis_events

__all__ = [
    "Event",
    "EventBroker",
    "EventController",
    "RedisRelay",
    "Subscription",
    "publish_after_commit",
    "publish_lineage_changed",
    "publish_node_status",
    "publish_run_state",
    "redis_events",
]
