from tests.integration.openlineage.conftest import ingest_headers, reader_headers  # noqa: F401  (shared fixtures)
