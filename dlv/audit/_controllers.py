"""``GET /api/audit``: who changed what and when, for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from advanced_alchemy.extensions.litestar.providers import FilterTypes, create_service_dependencies
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter, SkipValidation

from dlv.audit._capture import ACTIONS, ENTITY_TYPES
from dlv.audit._schemas import AuditEntryRead
from dlv.audit._service import AuditService
from dlv.auth import requires_admin
from dlv.lib.exceptions import BadRequest


def _check_choice(name: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise BadRequest(f"{name}={value} is not known: send one of {', '.join(choices)}.", field=name, source="query")


class AuditController(Controller):
    path = "/api/audit"
    tags = ["audit"]
    guards = [requires_admin]
    dependencies = create_service_dependencies(
        AuditService, key="audit", filters={"pagination_type": "limit_offset", "pagination_size": 50}
    )

    @get("/", summary="The audit log, newest first (filter by actor, entity, action or time)")
    async def list_audit(
        self,
        audit: NamedDependency[AuditService],
        filters: NamedDependency[SkipValidation[list[FilterTypes]]],
        actor: Annotated[str | None, QueryParameter(description="A user's or token's name or id, or 'system'.")] = None,
        entity_type: Annotated[str | None, QueryParameter(description=f"One of {', '.join(ENTITY_TYPES)}.")] = None,
        entity_id: Annotated[str | None, QueryParameter(description="The id of the changed entity.")] = None,
        action: Annotated[str | None, QueryParameter(description=f"One of {', '.join(ACTIONS)}.")] = None,
        since: Annotated[datetime | None, QueryParameter(description="Only entries at or after this time (ISO 8601).")] = None,
        until: Annotated[datetime | None, QueryParameter(description="Only entries before this time (ISO 8601).")] = None,
    ) -> OffsetPagination[AuditEntryRead]:
        _check_choice("entity_type", entity_type, ENTITY_TYPES)
        _check_choice("action", action, ACTIONS)
        if since is not None and until is not None and since >= until:
            raise BadRequest(
                f"since={since.isoformat()} is not before until={until.isoformat()}: send since earlier than until.", field="since", source="query"
            )
        entries, total = await audit.search(
            filters, actor=actor, entity_type=entity_type, entity_id=entity_id, action=action, since=since, until=until
        )
        return audit.to_schema(entries, total, filters=filters, schema_type=AuditEntryRead)
