"""OpenLineage from Kafka: a consumer-group member feeding the process's ``IngestWriter``
(``dlv consume kafka``, or a task of ``dlv serve``), its dead-letter topic and its lag.
Importing it loads aiokafka: the app and the commands import it only when Kafka is used."""

from dlv.kafka._client import PartitionProgress, dead_letter_topic, group_progress
from dlv.kafka._consumer import KafkaIngest
from dlv.kafka._run import consume_standalone, database_probe, kafka_lifespan

__all__ = ["KafkaIngest", "PartitionProgress", "consume_standalone", "database_probe", "dead_letter_topic", "group_progress", "kafka_lifespan"]
