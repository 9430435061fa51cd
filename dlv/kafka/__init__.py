"""OpenLineage from Kafka: a consumer-group member feeding the process's ``IngestWriter``
(``dlv consume kafka``, or a task of ``dlv serve``), its dead-letter topic and its lag.

Only the command group is imported here: aiokafka loads when a command or the serve task runs.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from dlv.kafka._cli import consume

if TYPE_CHECKING:
    from litestar import Litestar


def kafka_lifespan(app: "Litestar") -> AbstractAsyncContextManager[None]:
    """The ``dlv serve`` task (DLV_KAFKA_CONSUME=true): consume while the app runs."""
    from dlv.kafka._run import kafka_lifespan as lifespan

    return lifespan(app)


__all__ = ["consume", "kafka_lifespan"]
