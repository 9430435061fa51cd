"""The audit log: every write through the API, recorded with its actor in its own transaction."""

from dlv.audit._capture import Actor, Change, act_as_system, record, record_changes, record_node_run, set_actor
from dlv.audit._controllers import AuditController
from dlv.audit._middleware import AuditActorMiddleware

__all__ = [
    "Actor",
    "AuditActorMiddleware",
    "AuditController",
    "Change",
    "act_as_system",
    "record",
    "record_changes",
    "record_node_run",
    "set_actor",
]
