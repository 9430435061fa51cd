"""OpenLineage ingestion: ``POST /api/v1/lineage``, mapping events onto the lineage model,
the raw event log and its replay."""

from dlv.openlineage._controllers import OpenLineageController
from dlv.openlineage._mapping import EventMapper
from dlv.openlineage._service import ingest, prune, replay
from dlv.openlineage._spec import ParsedEvent, parse_event
from dlv.openlineage._writer import IngestWriter

__all__ = ["EventMapper", "IngestWriter", "OpenLineageController", "ParsedEvent", "ingest", "parse_event", "prune", "replay"]
