"""`dlv serve --workers 2` (the container's command): whichever worker answers a scrape,
/metrics counts the requests of both."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.observability.conftest import Scrape, dlv_serve

REQUESTS = "dlv_http_request_duration_seconds_count"


def test_every_scrape_adds_up_the_requests_of_all_workers(tmp_path: Path) -> None:
    with dlv_serve(tmp_path, "--workers", "2") as served:
        # New connections each time, so the kernel spreads them over both workers.
        for _ in range(30):
            assert httpx.get(f"{served.base}/health", timeout=10).status_code == 200
        scrapes = [Scrape(httpx.get(f"{served.base}/metrics", timeout=10).text) for _ in range(6)]

    # 30 requests here plus the one that found the server up
    assert [scrape.value(REQUESTS, method="GET", route="/health", status="2xx") for scrape in scrapes] == [31] * 6
    assert [scrape.value(REQUESTS, method="GET", route="/metrics", status="2xx") for scrape in scrapes] == list(range(6))
