"""What a node type's ``discover`` returns: a connector-neutral catalog of datasets and the
dependencies between them. DLV turns it into assets and ``discovery`` edges
(``dlv.nodes._discovery``); a plugin's node type returns the same shapes."""

from dlv.discovery.catalog import (
    SYSTEM_SCHEMAS,
    Catalog,
    CatalogColumn,
    ColumnUse,
    Dependency,
    Discovery,
    DiscoveryScope,
    Relation,
    RelationKind,
)

__all__ = [
    "SYSTEM_SCHEMAS",
    "Catalog",
    "CatalogColumn",
    "ColumnUse",
    "Dependency",
    "Discovery",
    "DiscoveryScope",
    "Relation",
    "RelationKind",
]
