"""Relational storage: models, engine configuration and migrations."""
