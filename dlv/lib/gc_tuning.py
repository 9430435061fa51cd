"""Garbage-collector settings for a long-running server process.

Every request allocates thousands of short-lived objects (an OpenLineage event decodes into
a few thousand), so with CPython's defaults the collector ran about once per request and
walked everything the process had imported each time: a fifth of the CPU an ingesting
worker spent (measured with gc.callbacks, bench/ingest_bench.py). After start-up, what is
alive lives for good, so it is moved out of the collector's sight (``gc.freeze``), and the
youngest generation is collected after 20,000 allocations instead of 700.
"""

from __future__ import annotations

import gc

YOUNGEST_GENERATION_THRESHOLD = 20_000
_DEFAULTS = gc.get_threshold()


def tune_for_serving() -> None:
    """On app start-up (its imports, routes and engine exist by then)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNGEST_GENERATION_THRESHOLD, *_DEFAULTS[1:])


def restore_defaults() -> None:
    """On shutdown: what was frozen becomes collectable again (matters where one process
    starts many apps, as the tests do)."""
    gc.unfreeze()
    gc.set_threshold(*_DEFAULTS)
