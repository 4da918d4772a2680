"""CPython's garbage collector, set for a long-running service (called from the app's lifespan).

After start-up the server holds ≈238,000 long-lived objects — the modules of FastAPI, SQLAlchemy,
pydantic, xarray/pandas, networkx, scipy … with their functions, classes and dicts — and they
never become garbage. CPython's full collection scans all of them every time: under a typhoon
night's load (bench/bench_load.py, 500 users) one came every ≈13 s, freed nothing of them and
took ≈180 ms of CPU (on a shared core, up to 890 ms of wall time) during which the event loop
stood still and every request in flight waited.

:func:`tune` does two things, each measured at 500 users (45 s; GC time as CPU seconds of the
collecting thread, so that a shared machine's waits do not count):

- ``gc.freeze()`` after one collection: every object alive at the end of start-up moves into the
  permanent generation, which collections never scan; everything allocated afterwards is
  collected as before. Full collections: 1.5 s of CPU → 0.18 s, the longest 178 ms → 22 ms.
- the young generation is collected after 7,000 net allocations instead of 700: a request's
  objects are mostly gone by then, so fewer collections, and fewer in-flight objects promoted
  to the older generations only to die there. All collections: 0.70 s → 0.26 s of CPU, the
  longest 22 ms → 8 ms, no full collection within the step.

The price of the freeze: an object frozen at start-up that later becomes cyclic garbage is never
freed. Start-up objects are modules and singletons that live as long as the process, so this is
memory CPython would not have given back anyway. ``RISKMAP_GC_TUNING=false`` leaves CPython's
defaults (the bench's baseline).

:class:`SlowCollections` logs a collection that stops the process longer than a threshold, so a
regression shows in the service's own log (``riskmap.gc``) rather than only as a latency tail.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger("riskmap.gc")

#: net container allocations between collections of the youngest generation (CPython: 700)
YOUNG_THRESHOLD = 7_000


def tune() -> int:
    """Collect the garbage of start-up, freeze what is alive, collect the young generation less
    often; returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return gc.get_freeze_count()


class SlowCollections:
    """A ``gc.callbacks`` hook: one WARNING line per collection longer than ``threshold_ms``."""

    def __init__(self, threshold_ms: float = 50.0):
        self.threshold_s = threshold_ms / 1000
        self.started = self.started_cpu = 0.0
        #: collections seen and the longest pause (seconds), for tests and benchmarks
        self.collections = 0
        self.longest_s = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started, self.started_cpu = time.perf_counter(), time.thread_time()
            return
        took = time.perf_counter() - self.started
        self.collections += 1
        self.longest_s = max(self.longest_s, took)
        if took >= self.threshold_s:
            log.warning(
                "garbage collection of generation %d stopped the process",
                info["generation"],
                extra={
                    "ms": round(took * 1000, 1),
                    # of which the collecting thread ran (the rest it waited for a CPU)
                    "cpu_ms": round((time.thread_time() - self.started_cpu) * 1000, 1),
                    "collected": info["collected"],
                    "oldest": len(gc.get_objects(2)),  # objects a full collection scans
                    "frozen": gc.get_freeze_count(),
                },
            )

    def install(self) -> SlowCollections:
        if self not in gc.callbacks:
            gc.callbacks.append(self)
        return self

    def remove(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)
