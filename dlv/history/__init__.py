"""History: the runs of each process and the versions of each data asset, from OpenLineage."""

from dlv.history._controllers import HistoryController
from dlv.history._service import RunHistory

__all__ = ["HistoryController", "RunHistory"]
