"""DLV: a self-hosted data-lineage platform."""

__version__ = "0.1.0"
