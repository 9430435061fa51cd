"""``POST /api/v1/lineage`` (the path OpenLineage clients post to) and the raw event log."""

from __future__ import annotations

import asyncio
import zlib
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.auth import requires_ingest, requires_viewer
from dlv.config import Settings
from dlv.lib.exceptions import BadRequest, PayloadTooLarge
from dlv.lib.input_policy import READS_OWN_BODY, Offset, check_json_body
from dlv.lib.paging import check_page
from dlv.observability import Metrics, counting_ingest
from dlv.openlineage._schemas import EventPage, EventRead, IngestResult
from dlv.openlineage._service import EventLog
from dlv.openlineage._writer import IngestWriter
from dlv.openlineage._derive import derive_from_sql, needs_sql
from dlv.openlineage._spec import RunEvent, parse_event


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The event is larger than {limit} bytes (DLV_OPENLINEAGE_MAX_BODY_BYTES); send smaller events, "
        "e.g. leave out large facets such as spark.logicalPlan, or raise the limit.",
        field="body",
    )


async def read_body(request: Request[Any, Any, Any], limit: int) -> bytes:
    """The request body, gunzipped when sent with ``Content-Encoding: gzip``, at most ``limit``
    bytes either way (so a small compressed bomb is refused as well)."""
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise _too_large(limit)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        check_json_body(bytes(received))
        return bytes(received)
    if encoding != "gzip":
        raise BadRequest(
            f"Content-Encoding {encoding!r} is not supported: send the event as is or gzip-compressed.", field="Content-Encoding", source="header"
        )
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(bytes(received), limit + 1)
    except zlib.error:
        raise BadRequest(
            "The body is not valid gzip although Content-Encoding says gzip: compress it with gzip or drop the header.", field="body"
        ) from None
    if len(body) > limit or inflater.unconsumed_tail:
        raise _too_large(limit)
    check_json_body(body)
    return body


SortDirection = Annotated[str, QueryParameter(name="sortDirection", description="asc or desc (by time received)")]


class OpenLineageController(Controller):
    path = "/api/v1"
    tags = ["openlineage"]

    # The size limit is a setting (read in read_body), so Litestar's fixed default is turned off here.
    @post("/lineage", guards=[requires_ingest], request_max_body_size=None, opt={READS_OWN_BODY: True}, status_code=201, summary="Receive one OpenLineage event")
    async def receive(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        metrics: NamedDependency[Metrics],
        ingest_writer: NamedDependency[IngestWriter],
    ) -> Response[IngestResult]:
        """Takes a RunEvent, JobEvent or DatasetEvent (spec 2-0-x) exactly as OpenLineage clients send it,
        optionally gzip-compressed. 201 when stored, 200 when the same event was already received."""
        with counting_ingest(metrics):
            parsed = parse_event(await read_body(request, settings.openlineage_max_body_bytes), derive=False)
            if needs_sql(parsed.event):  # parsing SQL is CPU work: off the loop, which keeps answering
                await asyncio.to_thread(derive_from_sql, parsed.event)
            # The process's writer applies it, in one transaction with whatever other requests
            # queued meanwhile (dlv.openlineage._writer).
            stored = await ingest_writer.submit(parsed)
        event = parsed.event
        result = IngestResult(
            stored=stored,
            kind=parsed.kind,
            event_type=event.event_type if isinstance(event, RunEvent) else None,
            run_id=event.run.run_id if isinstance(event, RunEvent) else None,
        )
        return Response(result, status_code=201 if stored else 200)

    @get("/events/lineage", guards=[requires_viewer], summary="The raw OpenLineage events received, newest first")
    async def events(
        self,
        db_session: NamedDependency[AsyncSession],
        run_id: FromQuery[str | None] = None,
        job_namespace: FromQuery[str | None] = None,
        job_name: FromQuery[str | None] = None,
        limit: FromQuery[int] = 50,
        offset: Offset = 0,
        before: FromQuery[datetime | None] = None,
        after: FromQuery[datetime | None] = None,
        sort_direction: SortDirection = "desc",
    ) -> EventPage:
        """Marquez's ``before``, ``after`` (event times) and ``sortDirection`` work too."""
        check_page(limit, offset, 500)
        if sort_direction.lower() not in ("asc", "desc"):
            raise BadRequest(f"sortDirection={sort_direction!r} is not a direction: send asc or desc.", field="sortDirection", source="query")
        rows, total = await EventLog(db_session).page(
            run_id=run_id, job_namespace=job_namespace, job_name=job_name, limit=limit, offset=offset,
            before=before, after=after, oldest_first=sort_direction.lower() == "asc",
        )
        items = [
            EventRead(
                id=row.id, kind=row.kind, event_type=row.event_type, event_time=row.event_time, received_at=row.received_at,
                run_id=row.run_id, job_namespace=row.job_namespace, job_name=row.job_name, producer=row.producer, event=row.payload,
            )
            for row in rows
        ]
        return EventPage(items=items, total=total, limit=limit, offset=offset, events=[row.payload for row in rows], total_count=total)
