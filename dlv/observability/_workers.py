"""Metrics of every uvicorn worker in one /metrics answer.

``dlv serve --workers N`` runs N processes behind one port, each with its own counters: a
scrape would reach one of them and rates would jump from scrape to scrape. So for N > 1 the
workers keep their values in memory-mapped files in one directory (prometheus_client's
multiprocess mode, chosen by PROMETHEUS_MULTIPROC_DIR before the workers start) and /metrics
adds them up, whichever worker answers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from dlv.observability._metrics import Metrics

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def shared_worker_metrics(workers: int) -> Iterator[None]:
    """While serving with several workers: a fresh directory for their metric files, removed
    afterwards (values of a previous run would otherwise be added in). A directory the
    operator set in PROMETHEUS_MULTIPROC_DIR is used as it is, and left alone."""
    if workers < 2 or os.environ.get(MULTIPROC_ENV):
        yield
        return
    path = tempfile.mkdtemp(prefix="dlv-metrics-")
    os.environ[MULTIPROC_ENV] = path
    try:
        yield
    finally:
        del os.environ[MULTIPROC_ENV]
        shutil.rmtree(path, ignore_errors=True)


def exposition(metrics: Metrics) -> bytes:
    """This app's metrics, or, in multiprocess mode, the sum over every worker's files."""
    if not os.environ.get(MULTIPROC_ENV):
        return generate_latest(metrics.registry)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)
