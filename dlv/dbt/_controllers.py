"""``POST /api/import/dbt``: a dbt project's artifacts in one request, applied in one transaction."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Router, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.auth import requires_admin
from dlv.dbt._artifacts import load
from dlv.dbt._service import ImportSummary, import_dbt
from dlv.events import EventBroker
from dlv.lib.http_policy import BODY_LIMIT_SETTING


Namespace = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class DbtImportRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The JSON documents dbt writes in ``target/``, and the namespaces to name things in."""

    manifest: dict[str, Any]
    # The datasets' namespace, as dbt-ol takes it from the profile: ``postgres://host:5432``.
    namespace: Namespace
    run_results: dict[str, Any] | None = None
    catalog: dict[str, Any] | None = None
    # The jobs' namespace: dbt-ol's OPENLINEAGE_NAMESPACE (``default`` unless set).
    job_namespace: Namespace = "default"


class DbtImportController(Controller):
    path = "/api/import"
    tags = ["import"]

    @post("/dbt", guards=[requires_admin], status_code=200, summary="Import a dbt project's manifest, run results and catalog")
    async def import_dbt(
        self, db_session: NamedDependency[AsyncSession], events: NamedDependency[EventBroker], data: JSONBody[DbtImportRequest]
    ) -> ImportSummary:
        """Models, sources, seeds and snapshots become assets and processes named as dbt-ol names
        them, with table and column lineage (read from the compiled SQL); run results set the
        processes' health, test results the assets' quality. All or nothing: a malformed document
        answers 400 naming the value that is wrong, and nothing is stored."""
        artifacts = load(data.manifest, data.run_results, data.catalog)
        return await import_dbt(db_session, artifacts, data.namespace, data.job_namespace, events)


def dbt_routes(max_body_bytes: int) -> list[Router]:
    """A manifest is large: the route takes bodies up to DLV_BULK_MAX_BODY_BYTES, as bulk upsert does."""
    return [Router("/", route_handlers=[DbtImportController], request_max_body_size=max_body_bytes,
                   opt={BODY_LIMIT_SETTING: "DLV_BULK_MAX_BODY_BYTES"})]
