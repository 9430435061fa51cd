"""A Marquez-compatible API under /api/v1: Marquez's shapes, read from DLV's model, so the
Marquez web UI and clients work against DLV by changing one URL."""

from dlv.marquez._controllers import MarquezController, marquez_lineage_graph
from dlv.marquez._ids import keep_slashes

# After dlv.openlineage's controller, which holds POST /api/v1/lineage (see marquez_lineage_graph).
MARQUEZ_CONTROLLERS = [MarquezController, marquez_lineage_graph]

__all__ = ["MARQUEZ_CONTROLLERS", "keep_slashes"]
