"""``limit``/``offset`` paging of the endpoints that page by hand (not advanced-alchemy's
``pageSize``/``currentPage`` filters)."""

from __future__ import annotations

from dlv.lib.exceptions import BadRequest


def check_page(limit: int, offset: int, largest: int) -> None:
    """Refuse a ``limit`` outside 1..``largest`` or a negative ``offset``, naming the parameter."""
    if not 1 <= limit <= largest:
        raise BadRequest(f"limit must be between 1 and {largest}.", field="limit", source="query")
    if offset < 0:
        raise BadRequest("offset must be at least 0.", field="offset", source="query")
