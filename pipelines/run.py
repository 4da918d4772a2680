"""Run the pipelines: check the inputs, reuse the published run of identical inputs, or compute
a new run (``pipelines.compute``) and publish it to PostGIS (``pipelines.publish``). Inputs
that compute rejects leave a ``failed`` run with the reason.

The names callers use (``run_pipeline``, ``RunInputs``, ``compute``, ``publish``, …) are
importable from here.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from backend.errors import InvalidInput
from backend.progress import NULL, Stages
from pipelines.compute import CODE_HAZARD, LAYERS, RunResult, compute
from pipelines.inputs import NOTHING_NEW, Places, RunInputs, RunParams, inputs_checksum
from pipelines.publish import (
    find_carried,
    find_published,
    latest_published,
    load_places,
    publish,
    record_failure,
    write_rasters,
)

__all__ = [
    "CODE_HAZARD",
    "LAYERS",
    "Places",
    "RunInputs",
    "RunOutcome",
    "RunParams",
    "RunResult",
    "compute",
    "default_terrain",
    "find_published",
    "inputs_checksum",
    "load_places",
    "publish",
    "record_failure",
    "run_pipeline",
    "write_rasters",
]


@dataclass
class RunOutcome:
    run_id: int
    reused: bool
    result: RunResult | None
    seconds: float


def run_pipeline(
    engine,
    inputs: RunInputs,
    data_dir: Path,
    params: RunParams = RunParams(),
    force: bool = False,
    scheduler: str | None = None,
    progress: Stages = NULL,
) -> RunOutcome:
    """Compute and publish a run (or reuse the published run of identical inputs)."""
    start = time.perf_counter()
    for name, path in inputs.files().items():
        if not Path(path).exists():
            raise InvalidInput(f"{path}: file not found ({name})")
    if not inputs.new_hazards():
        raise InvalidInput(NOTHING_NEW)
    with engine.connect() as conn:
        places = load_places(conn)
        carried = find_carried(conn, data_dir, inputs.new_hazards())
        checksum = inputs_checksum(inputs, params, places, {h: c.run_id for h, c in carried.items()})
        existing = None if force else find_published(conn, checksum)
    if existing:
        return RunOutcome(existing, True, None, time.perf_counter() - start)
    now = datetime.now(UTC).replace(microsecond=0)
    run_params = {
        **params.to_json(),
        "inputs": {k: str(v) for k, v in inputs.files().items()},
        "landcover_classes": inputs.landcover_classes,
        "started_at": now.isoformat(timespec="seconds"),
    }
    client_ctx = nullcontext()
    if scheduler:
        from distributed import Client

        client_ctx = Client(scheduler, timeout="10s")
    try:
        with client_ctx:
            result = compute(inputs, places, params, progress, carried=carried, now=now)
    except InvalidInput as exc:
        record_failure(engine, checksum, run_params, exc.detail)
        raise
    progress.stage("publishing", 1)
    t = time.perf_counter()
    run_params.update(hazards=result.hazards, **result.meta)
    run_id = publish(engine, result, checksum, {**run_params, "timings_s": result.timings}, data_dir)
    result.timings["publish"] = round(time.perf_counter() - t, 3)
    progress.advance()
    return RunOutcome(run_id, False, result, time.perf_counter() - start)


def default_terrain(engine, fallback: Path) -> tuple[Path | None, Path | None, str]:
    """The terrain of a run given none: the latest published run's (if its files are still there),
    else the directory ``fallback`` (dem.tif, landcover.tif). Returns (dem, land cover, classes)."""
    with engine.connect() as conn:
        last = latest_published(conn)
    used = ((last or {}).get("params") or {}).get("inputs", {})
    dem = used.get("dem")
    if dem and Path(dem).is_file():
        lc = used.get("landcover")
        classes = ((last or {}).get("params") or {}).get("landcover_classes", "riskmap")
        return Path(dem), Path(lc) if lc and Path(lc).is_file() else None, classes
    dem, lc = RunInputs.terrain(fallback)
    return (dem if dem.is_file() else None), lc, "riskmap"
