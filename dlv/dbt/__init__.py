"""dbt projects without OpenLineage: ``dlv import dbt`` and ``POST /api/import/dbt`` read dbt's
artifacts and apply them as the events dbt-ol would have sent."""

from dlv.dbt._artifacts import Artifacts, load
from dlv.dbt._controllers import DbtImportController, dbt_routes
from dlv.dbt._events import EventBuilder
from dlv.dbt._service import ImportSummary, import_dbt

__all__ = ["Artifacts", "DbtImportController", "EventBuilder", "ImportSummary", "dbt_routes", "import_dbt", "load"]
