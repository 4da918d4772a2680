"""A publication killed mid-way leaves its temporary raster directory; the next one removes it,
and only it."""

from __future__ import annotations

import os
import subprocess

from pipelines.publish import sweep_abandoned


def test_only_the_directories_of_dead_processes_are_swept(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()  # reaped: its pid names no process
    for name in (f".run-{dead.pid}-abc", f".run-{os.getpid()}-def", ".run-xyz", "7"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "onemap.tif").write_bytes(b"x")
    assert sweep_abandoned(tmp_path) == [f".run-{dead.pid}-abc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f".run-{os.getpid()}-def", ".run-xyz", "7"])
