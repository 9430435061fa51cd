"""Alerts: channels, rules, the outbox of fired alerts and the dispatcher that delivers them
(signed webhooks, Slack, e-mail), at least once."""

from dlv.alerts._controllers import AlertEventController, ChannelController, RuleController
from dlv.alerts._dispatch import Dispatcher
from dlv.alerts._fire import Cause, IngestAlerts, fire, node_error
from dlv.alerts._lifespan import AlertsPlugin
from dlv.alerts._senders import SIGNATURE_HEADER, signature, slack_message

__all__ = [
    "SIGNATURE_HEADER",
    "AlertEventController",
    "AlertsPlugin",
    "Cause",
    "ChannelController",
    "Dispatcher",
    "IngestAlerts",
    "RuleController",
    "fire",
    "node_error",
    "signature",
    "slack_message",
]
