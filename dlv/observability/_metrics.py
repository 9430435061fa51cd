"""DLV's Prometheus metrics, kept in one registry per app.

A registry per app (not prometheus_client's global one) lets several apps live in one
process — the test suite builds one per test — without "Duplicated timeseries" errors, and
keeps /metrics to DLV's own series. Code that has no app at hand (services, the scheduler)
reaches the metrics through the database session: every session the app opens carries them
in ``session.info``; a session opened elsewhere (the CLI) carries none and counts nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from litestar.exceptions import HTTPException
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

# Key of the app's Metrics in ``session.info`` (see dlv.app.alchemy_config).
SESSION_KEY = "dlv_metrics"


class Metrics:
    """The series a DLV operator looks at; names start with ``dlv_``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_duration = Histogram(
            "dlv_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template (not the concrete path).",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.graph_query_duration = Histogram(
            "dlv_graph_query_duration_seconds",
            "Time a graph store took for one traversal; store is the one that answered.",
            ["store", "direction"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "dlv_graph_outbox_pending_rows",
            "Lineage edge changes waiting in graph_outbox to be projected into Neo4j.",
            registry=self.registry,
            # Set by whichever worker answers the scrape, just before it answers (dlv.observability._workers).
            multiprocess_mode="mostrecent",
        )
        self.outbox_oldest_age = Gauge(
            "dlv_graph_outbox_oldest_age_seconds",
            "Age of the oldest change waiting in graph_outbox (0 when none waits).",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.openlineage_events = Counter(
            "dlv_openlineage_events",
            "OpenLineage events received: accepted (stored, or a repeat of a stored one) or rejected (4xx).",
            ["outcome"],
            registry=self.registry,
        )
        self.node_checks = Counter(
            "dlv_node_checks",
            "Catalog node checks recorded (manual, scheduled or by discovery), by node type and result.",
            ["node_type", "status"],
            registry=self.registry,
        )
        # OpenLineage from Kafka (dlv.kafka): throughput is the rate of the counter.
        self.kafka_messages = Counter(
            "dlv_kafka_messages",
            "Kafka messages consumed: stored, duplicate (the same event was stored before) or dead_lettered.",
            ["outcome"],
            registry=self.registry,
        )
        self.kafka_lag = Gauge(
            "dlv_kafka_consumer_lag",
            "Messages on a partition this consumer owns that it has not committed yet.",
            ["topic", "partition"],
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.kafka_waiting = Gauge(
            "dlv_kafka_waiting_for_database",
            "1 while the consumer waits for the database to come back (nothing is committed meanwhile).",
            registry=self.registry,
            multiprocess_mode="max",
        )


def session_metrics(session: AsyncSession) -> Metrics | None:
    return session.info.get(SESSION_KEY)


def count_node_check(session: AsyncSession, node_type: str, status: str) -> None:
    """Count one recorded check result (no-op for sessions opened outside the app)."""
    metrics = session_metrics(session)
    if metrics is not None:
        metrics.node_checks.labels(node_type=node_type, status=status).inc()


@contextmanager
def counting_ingest(metrics: Metrics) -> Iterator[None]:
    """Count the OpenLineage event handled inside: accepted when it completes, rejected
    when it is refused with a client error. A server error is neither: the request
    metrics show it as a 5xx."""
    try:
        yield
    except HTTPException as exc:
        if 400 <= exc.status_code < 500:
            metrics.openlineage_events.labels(outcome="rejected").inc()
        raise
    metrics.openlineage_events.labels(outcome="accepted").inc()
