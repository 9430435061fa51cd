"""``dlv consume kafka`` and ``dlv consume status`` (aiokafka loads only when one runs)."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable

import click

from dlv.config import Settings

# The commands get `dlv`'s settings loader as their context object (see dlv.cli.main).
SettingsLoader = Callable[[], Settings]


@click.group()
def consume() -> None:
    """Receive OpenLineage events from a message broker (Kafka)."""


def _brokers_required(load: SettingsLoader) -> Settings:
    settings = load()
    if not settings.kafka_bootstrap_servers:
        click.echo("dlv: DLV_KAFKA_BOOTSTRAP_SERVERS is not set: name the Kafka brokers to read from, such as kafka-1:9092.", err=True)
        sys.exit(2)
    return settings


@consume.command("kafka")
@click.option("--metrics-port", type=click.IntRange(1, 65535), default=None, help="serve Prometheus metrics on this port (on DLV_HOST)")
@click.pass_obj
def consume_kafka(load: SettingsLoader, metrics_port: int | None) -> None:
    """Consume OpenLineage events from DLV_KAFKA_TOPIC until stopped (SIGTERM or Ctrl-C)."""
    settings = _brokers_required(load)

    async def work() -> None:
        from prometheus_client import start_http_server

        from dlv.app import alchemy_config
        from dlv.kafka import consume_standalone
        from dlv.observability import Metrics

        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        metrics = Metrics()
        if metrics_port:
            start_http_server(metrics_port, addr=settings.host, registry=metrics.registry)
        await consume_standalone(settings, stop, metrics, alchemy_config(settings, metrics))

    asyncio.run(work())


@consume.command("status")
@click.pass_obj
def consume_status(load: SettingsLoader) -> None:
    """Per partition of DLV_KAFKA_TOPIC: the group's committed offset, the end offset and the lag."""
    from aiokafka.errors import KafkaError

    from dlv.kafka import group_progress

    settings = _brokers_required(load)
    try:
        progress = asyncio.run(group_progress(settings))
    except KafkaError as exc:
        click.echo(f"dlv: cannot read the group's progress from Kafka at {settings.kafka_bootstrap_servers} ({exc}).", err=True)
        sys.exit(1)
    if not progress:
        click.echo(f"topic {settings.kafka_topic!r} does not exist (yet).")
        return
    click.echo(f"topic {settings.kafka_topic}, group {settings.kafka_group_id}")
    click.echo("partition\tcommitted\tend\tlag")
    for item in progress:
        click.echo(f"{item.partition}\t{'-' if item.committed is None else item.committed}\t{item.end}\t{item.lag}")
    click.echo(f"total lag: {sum(item.lag for item in progress)}")
