"""Marquez's REST API under /api/v1 (read with DLV's tokens), for the Marquez web UI, the
marquez-python and Java clients: what they read is answered from DLV's model; writes that
only Marquez offers answer 405 and point to OpenLineage ingestion."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.auth import requires_admin, requires_viewer
from dlv.config import Settings
from dlv.lib.exceptions import BadRequest, DLVError
from dlv.lib.paging import check_page
from dlv.lineage import LineageGraph
from dlv.lineage.deps import LINEAGE_GRAPH
from dlv.marquez import _log
from dlv.marquez import _schemas as m
from dlv.marquez._graphs import MarquezLineage
from dlv.marquez._ids import NodeId, name_of
from dlv.marquez._jobs import MarquezJobs
from dlv.marquez._service import MarquezCatalog

LARGEST_PAGE = 1000
# Marquez's query parameters are camelCase.
NodeIdQuery = Annotated[str, QueryParameter(name="nodeId", description="dataset:{namespace}:{name}, job:{namespace}:{name} or datasetField:{namespace}:{name}:{field}")]
AsOf = Annotated[datetime | None, QueryParameter(name="asOf", description="DLV's extension: the lineage as it was at this ISO time")]
WithDownstream = Annotated[bool, QueryParameter(name="withDownstream")]
LastRunStates = Annotated[list[str] | None, QueryParameter(name="lastRunStates", description="NEW, RUNNING, COMPLETED, ABORTED, FAILED")]
MARQUEZ_DEPTH = 20  # Marquez's default lineage depth


class NotAllowed(DLVError):
    status_code = 405
    default_field = ("method", "request")


INGEST_HINT = (
    "DLV keeps lineage from OpenLineage events only: send them to POST /api/v1/lineage (the path Marquez takes them at) "
    "with an ingest token, e.g. from openlineage-python's HTTP transport pointed at this server."
)


async def provide_catalog(db_session: NamedDependency[AsyncSession]) -> MarquezCatalog:
    return MarquezCatalog(db_session)


async def provide_jobs(db_session: NamedDependency[AsyncSession]) -> MarquezJobs:
    return MarquezJobs(db_session)


async def provide_lineage(db_session: NamedDependency[AsyncSession], lineage: NamedDependency[LineageGraph], settings: NamedDependency[Settings]) -> MarquezLineage:
    return MarquezLineage(db_session, lineage, settings.graph_max_nodes)


DEPENDENCIES = {
    "catalog": Provide(provide_catalog),
    "jobs": Provide(provide_jobs),
    "marquez_lineage": Provide(provide_lineage),
    **LINEAGE_GRAPH,
}


def _page(limit: int, offset: int) -> None:
    check_page(limit, offset, LARGEST_PAGE)


# A function, not a controller method: POST /api/v1/lineage (OpenLineage ingestion) shares the
# path, and Litestar merges two handlers of one path only when the later one is no controller
# (each controller adds its own OPTIONS handler). Registered after OpenLineageController.
@get(
    "/api/v1/lineage", guards=[requires_viewer], dependencies=DEPENDENCIES, tags=["marquez"],
    summary="Marquez: the lineage graph around a node ({id, type, data, inEdges, outEdges}); asOf= is DLV's",
)
async def marquez_lineage_graph(
    marquez_lineage: NamedDependency[MarquezLineage], settings: NamedDependency[Settings], node_id: NodeIdQuery,
    depth: FromQuery[int] = MARQUEZ_DEPTH, as_of: AsOf = None,
) -> m.Lineage:
    return await marquez_lineage.lineage(NodeId.parse(node_id), _depth(depth, settings), as_of)


def _depth(depth: int, settings: Settings, halve: bool = False) -> int:
    """``depth`` edges from the start (column hops cross two edges each: at most half as many)."""
    largest = settings.max_graph_depth // 2 if halve else settings.max_graph_depth
    if not 0 <= depth <= largest:
        raise BadRequest(f"depth must be between 0 and {largest} (DLV_MAX_GRAPH_DEPTH).", field="depth", source="query")
    return depth




TAG_LENGTH = 100  # as DLV's own tags (dlv.lineage)


def _tag(tag: str) -> str:
    name = name_of(tag).strip()
    if not name or len(name) > TAG_LENGTH:
        raise BadRequest(f"The tag must be 1 to {TAG_LENGTH} characters.", field="tag", source="path")
    return name


DATASET_PATH = "/namespaces/{namespace:str}/datasets/{dataset:str}"


class MarquezController(Controller):
    path = "/api/v1"
    tags = ["marquez"]
    guards = [requires_viewer]
    dependencies = DEPENDENCIES

    @get("/namespaces", summary="Marquez: every namespace a dataset or job is named in")
    async def namespaces(self, catalog: NamedDependency[MarquezCatalog], limit: FromQuery[int] = 100, offset: FromQuery[int] = 0) -> m.Namespaces:
        _page(limit, offset)
        return await catalog.namespaces(limit, offset)

    @get("/namespaces/{namespace:str}", summary="Marquez: one namespace")
    async def namespace(self, catalog: NamedDependency[MarquezCatalog], namespace: FromPath[str]) -> m.Namespace:
        return await catalog.namespace(name_of(namespace))

    @get("/sources", summary="Marquez: sources (one per dataset namespace)")
    async def sources(self, catalog: NamedDependency[MarquezCatalog], limit: FromQuery[int] = 100, offset: FromQuery[int] = 0) -> m.Sources:
        _page(limit, offset)
        return await catalog.sources(limit, offset)

    @get("/sources/{source:str}", summary="Marquez: one source (a dataset namespace)")
    async def source(self, catalog: NamedDependency[MarquezCatalog], source: FromPath[str]) -> m.Source:
        return await catalog.source(name_of(source))

    @get("/namespaces/{namespace:str}/datasets", summary="Marquez: the datasets of a namespace, by name")
    async def datasets(
        self, catalog: NamedDependency[MarquezCatalog], namespace: FromPath[str], limit: FromQuery[int] = 100, offset: FromQuery[int] = 0
    ) -> m.Datasets:
        _page(limit, offset)
        return await catalog.datasets(name_of(namespace), limit, offset)

    @get("/namespaces/{namespace:str}/datasets/{dataset:str}", summary="Marquez: one dataset with its fields, tags and current version")
    async def dataset(self, catalog: NamedDependency[MarquezCatalog], namespace: FromPath[str], dataset: FromPath[str]) -> m.Dataset:
        return await catalog.dataset(name_of(namespace), name_of(dataset))

    @get("/namespaces/{namespace:str}/datasets/{dataset:str}/versions", summary="Marquez: a dataset's versions, newest first")
    async def dataset_versions(
        self, catalog: NamedDependency[MarquezCatalog], namespace: FromPath[str], dataset: FromPath[str],
        limit: FromQuery[int] = 100, offset: FromQuery[int] = 0,
    ) -> m.DatasetVersions:
        _page(limit, offset)
        return await catalog.versions(name_of(namespace), name_of(dataset), limit, offset)

    @get("/namespaces/{namespace:str}/datasets/{dataset:str}/versions/{version:uuid}", summary="Marquez: one version of a dataset")
    async def dataset_version(
        self, catalog: NamedDependency[MarquezCatalog], namespace: FromPath[str], dataset: FromPath[str], version: FromPath[UUID]
    ) -> m.MarquezDatasetVersion:
        return await catalog.version(name_of(namespace), name_of(dataset), version)

    @get("/namespaces/{namespace:str}/jobs", summary="Marquez: the jobs of a namespace, with inputs, outputs and latest run")
    async def namespace_jobs(
        self, jobs: NamedDependency[MarquezJobs], catalog: NamedDependency[MarquezCatalog], namespace: FromPath[str],
        limit: FromQuery[int] = 100, offset: FromQuery[int] = 0,
    ) -> m.Jobs:
        _page(limit, offset)
        await catalog.namespace(name_of(namespace))
        return await jobs.jobs(name_of(namespace), [], limit, offset)

    @get("/jobs", summary="Marquez: every job, optionally only those whose last run is in lastRunStates")
    async def all_jobs(
        self, jobs: NamedDependency[MarquezJobs], last_run_states: LastRunStates = None, limit: FromQuery[int] = 100,
        offset: FromQuery[int] = 0,
    ) -> m.Jobs:
        _page(limit, offset)
        states = [state.strip().upper() for item in last_run_states or [] for state in item.split(",") if state.strip()]
        return await jobs.jobs(None, states, limit, offset)

    @get("/namespaces/{namespace:str}/jobs/{job:str}", summary="Marquez: one job")
    async def job(self, jobs: NamedDependency[MarquezJobs], namespace: FromPath[str], job: FromPath[str]) -> m.Job:
        return await jobs.job(name_of(namespace), name_of(job))

    @get("/namespaces/{namespace:str}/jobs/{job:str}/runs", summary="Marquez: a job's runs, newest first")
    async def job_runs(
        self, jobs: NamedDependency[MarquezJobs], namespace: FromPath[str], job: FromPath[str], limit: FromQuery[int] = 100,
        offset: FromQuery[int] = 0,
    ) -> m.Runs:
        _page(limit, offset)
        return await jobs.runs(name_of(namespace), name_of(job), limit, offset)

    @get("/jobs/runs/{run_id:str}", summary="Marquez: one run with its run facets")
    async def run(self, jobs: NamedDependency[MarquezJobs], run_id: FromPath[str]) -> m.Run:
        return await jobs.run(name_of(run_id))

    @get("/jobs/runs/{run_id:str}/facets", summary="Marquez: a run's run facets (type=run) or job facets (type=job)")
    async def run_facets(self, jobs: NamedDependency[MarquezJobs], run_id: FromPath[str], type: FromQuery[str] = "run") -> m.RunFacets:  # noqa: A002
        return await jobs.facets(name_of(run_id), type)

    @get("/column-lineage", summary="Marquez: column lineage of a dataset, a dataset field or a job")
    async def column_lineage(
        self, marquez_lineage: NamedDependency[MarquezLineage], settings: NamedDependency[Settings], node_id: NodeIdQuery,
        depth: FromQuery[int] = MARQUEZ_DEPTH, with_downstream: WithDownstream = False,
    ) -> m.Lineage:
        node = NodeId.parse(node_id)
        return await marquez_lineage.column_lineage(node, _depth(depth, settings, halve=True), with_downstream)

    @get("/search", summary="Marquez: datasets and jobs whose name contains q")
    async def search(
        self, db_session: NamedDependency[AsyncSession], q: FromQuery[str], filter: FromQuery[str | None] = None,  # noqa: A002
        sort: FromQuery[str] = "NAME", limit: FromQuery[int] = 10, namespace: FromQuery[str | None] = None,
    ) -> m.MarquezSearchResults:
        _page(limit, 0)
        if not q.strip():
            raise BadRequest("q is empty: send the text to look for in dataset and job names.", field="q", source="query")
        return await _log.search(db_session, q.strip(), filter and filter.upper(), sort.upper(), limit, namespace)

    @get("/tags", summary="Marquez: every tag on a dataset, a field or a job")
    async def list_tags(self, db_session: NamedDependency[AsyncSession]) -> m.Tags:
        return await _log.tags(db_session)

    @get("/stats/lineage-events", summary="Marquez: OpenLineage events per hour of the last day or per day of the last week")
    async def lineage_event_stats(
        self, db_session: NamedDependency[AsyncSession], period: FromQuery[str] = "DAY", timezone: FromQuery[str | None] = None
    ) -> list[m.LineageMetric]:
        return await _log.lineage_event_stats(db_session, period.upper(), timezone)

    # --- tags on datasets and fields: admins only, as every other change in DLV

    @post(f"{DATASET_PATH}/tags/{{tag:str}}", status_code=200, guards=[requires_admin], summary="Marquez: tag a dataset")
    async def tag_dataset(self, catalog: NamedDependency[MarquezCatalog], namespace: FromPath[str], dataset: FromPath[str], tag: FromPath[str]) -> m.Dataset:
        return await catalog.tag(name_of(namespace), name_of(dataset), _tag(tag), add=True)

    @delete(f"{DATASET_PATH}/tags/{{tag:str}}", status_code=200, guards=[requires_admin], summary="Marquez: untag a dataset")
    async def untag_dataset(self, catalog: NamedDependency[MarquezCatalog], namespace: FromPath[str], dataset: FromPath[str], tag: FromPath[str]) -> m.Dataset:
        return await catalog.tag(name_of(namespace), name_of(dataset), _tag(tag), add=False)

    @post(f"{DATASET_PATH}/fields/{{field:str}}/tags/{{tag:str}}", status_code=200, guards=[requires_admin], summary="Marquez: tag a field of a dataset")
    async def tag_field(
        self, catalog: NamedDependency[MarquezCatalog], namespace: FromPath[str], dataset: FromPath[str], field: FromPath[str], tag: FromPath[str]
    ) -> m.Dataset:
        return await catalog.tag(name_of(namespace), name_of(dataset), _tag(tag), add=True, field_name=name_of(field))

    @delete(f"{DATASET_PATH}/fields/{{field:str}}/tags/{{tag:str}}", status_code=200, guards=[requires_admin], summary="Marquez: untag a field of a dataset")
    async def untag_field(
        self, catalog: NamedDependency[MarquezCatalog], namespace: FromPath[str], dataset: FromPath[str], field: FromPath[str], tag: FromPath[str]
    ) -> m.Dataset:
        return await catalog.tag(name_of(namespace), name_of(dataset), _tag(tag), add=False, field_name=name_of(field))

    # --- Marquez's REST writes: DLV learns these from OpenLineage events, so each answers 405

    @put("/namespaces/{namespace:str}", summary="Marquez: creating a namespace by REST is not supported (405)")
    async def put_namespace(self, namespace: FromPath[str]) -> None:
        raise NotAllowed(f"Namespaces are not created by REST here. {INGEST_HINT}")

    @put("/sources/{source:str}", summary="Marquez: creating a source by REST is not supported (405)")
    async def put_source(self, source: FromPath[str]) -> None:
        raise NotAllowed(f"Sources are not created by REST here. {INGEST_HINT}")

    @put(DATASET_PATH, summary="Marquez: creating a dataset by REST is not supported (405)")
    async def put_dataset(self, namespace: FromPath[str], dataset: FromPath[str]) -> None:
        raise NotAllowed(f"Datasets are not created by REST here. {INGEST_HINT}")

    @put("/namespaces/{namespace:str}/jobs/{job:str}", summary="Marquez: creating a job by REST is not supported (405)")
    async def put_job(self, namespace: FromPath[str], job: FromPath[str]) -> None:
        raise NotAllowed(f"Jobs are not created by REST here. {INGEST_HINT}")

    @post("/namespaces/{namespace:str}/jobs/{job:str}/runs", summary="Marquez: creating a run by REST is not supported (405)")
    async def post_run(self, namespace: FromPath[str], job: FromPath[str]) -> None:
        raise NotAllowed(f"Runs are not created by REST here. {INGEST_HINT}")

    @post("/jobs/runs/{run_id:str}/{action:str}", summary="Marquez: changing a run's state by REST is not supported (405)")
    async def mark_run(self, run_id: FromPath[str], action: FromPath[str]) -> None:
        raise NotAllowed(f"A run's state comes from its OpenLineage events (START, COMPLETE, FAIL, ABORT). {INGEST_HINT}")

    @put("/tags/{tag:str}", summary="Marquez: creating a tag by REST is not supported (405)")
    async def put_tag(self, tag: FromPath[str]) -> None:
        raise NotAllowed("Tags need no creating here: tag a dataset (POST /api/v1/namespaces/{namespace}/datasets/{name}/tags/{tag}, admin) and the tag exists.")
