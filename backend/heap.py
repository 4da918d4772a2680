"""CPython's garbage collector, set for a long-running service (called from the app's lifespan).

After start-up the server holds ≈230,000 long-lived objects — the modules of FastAPI, SQLAlchemy,
pydantic, xarray/pandas, networkx, scipy … with their functions, classes and dicts — and they
never become garbage. CPython's full collection scans all of them every time: under a typhoon
night's load (bench/bench_load.py, 500 users) one came every ≈13 s, freed nothing of them and
stopped the event loop for 150–160 ms (on a shared core, up to 660 ms), and every request in
flight waited — the p99 of acknowledgements and cached tiles went from ≈5 ms to 300+ ms.

``freeze_startup()`` collects once and moves every object alive at that moment into the
permanent generation (``gc.freeze()``), which collections never scan; everything allocated
afterwards is collected as before. The price: an object frozen at start-up that later becomes
cyclic garbage is never freed — start-up objects are modules and singletons that live as long as
the process, so this is memory CPython would not have given back anyway.

``SlowCollections`` logs a collection that stops the process longer than a threshold, so a
regression shows in the service's own log (``riskmap.gc``) rather than only as a latency tail.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger("riskmap.gc")


def freeze_startup() -> int:
    """Collect the garbage of start-up, then freeze what is alive; returns how many objects."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class SlowCollections:
    """A ``gc.callbacks`` hook: one WARNING line per collection longer than ``threshold_ms``."""

    def __init__(self, threshold_ms: float = 50.0):
        self.threshold_s = threshold_ms / 1000
        self.started = 0.0
        #: collections seen and the longest pause (seconds), for tests and benchmarks
        self.collections = 0
        self.longest_s = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
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
