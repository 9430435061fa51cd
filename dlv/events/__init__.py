"""Live status events: an in-process broadcaster and the ``GET /api/events`` SSE stream."""

from dlv.events._broker import Event, EventBroker, Subscription, publish_node_status
from dlv.events._controllers import EventController

__all__ = ["Event", "EventBroker", "EventController", "Subscription", "publish_node_status"]
