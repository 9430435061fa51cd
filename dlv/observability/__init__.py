"""Metrics for Prometheus (``GET /metrics``) and structured, redacted logs with request ids."""

from dlv.observability._endpoint import metrics_endpoint
from dlv.observability._graph import measured_store
from dlv.observability._logging import configure_logging, redact_secrets
from dlv.observability._metrics import SESSION_KEY, Metrics, count_node_check, counting_ingest
from dlv.observability._requests import observe_requests
from dlv.observability._workers import shared_worker_metrics

__all__ = [
    "SESSION_KEY",
    "Metrics",
    "configure_logging",
    "count_node_check",
    "counting_ingest",
    "measured_store",
    "metrics_endpoint",
    "observe_requests",
    "redact_secrets",
    "shared_worker_metrics",
]
