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
from pipelines.inputs import Places, RunInputs, RunParams, inputs_checksum
from pipelines.publish import find_published, load_places, publish, record_failure, write_rasters

__all__ = [
    "CODE_HAZARD",
    "LAYERS",
    "Places",
    "RunInputs",
    "RunOutcome",
    "RunParams",
    "RunResult",
    "compute",
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
    with engine.connect() as conn:
        places = load_places(conn)
        checksum = inputs_checksum(inputs, params, places)
        existing = None if force else find_published(conn, checksum)
    if existing:
        return RunOutcome(existing, True, None, time.perf_counter() - start)
    run_params = {
        **params.to_json(),
        "inputs": {k: str(v) for k, v in inputs.files().items()},
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    client_ctx = nullcontext()
    if scheduler:
        from distributed import Client

        client_ctx = Client(scheduler, timeout="10s")
    try:
        with client_ctx:
            result = compute(inputs, places, params, progress)
    except InvalidInput as exc:
        record_failure(engine, checksum, run_params, exc.detail)
        raise
    progress.stage("publishing", 1)
    t = time.perf_counter()
    run_id = publish(engine, result, checksum, {**run_params, "timings_s": result.timings}, data_dir)
    result.timings["publish"] = round(time.perf_counter() - t, 3)
    progress.advance()
    return RunOutcome(run_id, False, result, time.perf_counter() - start)
