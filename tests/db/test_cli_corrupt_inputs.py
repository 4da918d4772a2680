"""`riskmap pipeline run --rain FILE --weather FILE` with a damaged file, run as users run it (a
subprocess): exit 1, one line that names the file and the fault, no traceback, no run published."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

PUBLISHED = sa.text("SELECT count(*) FROM risk_run WHERE status = 'published'")


# the weather file is read after the rain is computed (≈30 s more): its readers are tested directly in
# tests/unit/test_input_errors.py; ["rain", "weather"] here runs both end to end
@pytest.mark.parametrize("which", ["rain"])
def test_pipeline_run_with_a_damaged_netcdf_names_the_file(loaded, engine, tmp_path, which):
    data = tmp_path / "data"
    data.mkdir()
    (data / "sample").symlink_to(loaded)  # the terrain the command takes by default
    files = {"rain": loaded / "rain.nc", "weather": loaded / "weather.nc"}
    bad = tmp_path / f"{which}.nc"
    bad.write_bytes(files[which].read_bytes()[: files[which].stat().st_size // 2])  # cut short
    files[which] = bad
    with engine.connect() as c:
        published_before = c.execute(PUBLISHED).scalar()

    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "backend.cli",
            "pipeline",
            "run",
            "--rain",
            str(files["rain"]),
            "--weather",
            str(files["weather"]),
            "--force",
        ],
        env={**os.environ, "RISKMAP_DATA_DIR": str(data), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, r.stderr
    assert errors[0].startswith(f"error: {bad}: unreadable NetCDF ("), errors[0]
    with engine.connect() as c:
        assert c.execute(PUBLISHED).scalar() == published_before  # nothing published
