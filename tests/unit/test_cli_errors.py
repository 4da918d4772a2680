"""The command line never shows a traceback: a bad input is one line naming the file and the fault,
a bad option is typer's usage error, and even an error of ours that nobody foresaw is one line
(``RISKMAP_TRACEBACK=1`` shows where). Exit codes are never 0 for an error."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from backend.cli import app


def run(*args: str, env: dict | None = None):
    result = CliRunner().invoke(app, list(args), env=env)
    return result, result.stderr.strip()


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and "Traceback" not in stderr
    return lines[0]


def test_fwi_with_a_bad_station_file(tmp_path):
    p = tmp_path / "station.csv"
    p.write_text("date,temp,rh,wind,rain\n01/10/2026,25,60,10,0\n", encoding="utf-8")
    result, stderr = run("fwi", str(p))
    assert result.exit_code == 1
    assert one_line_error(stderr) == f"error: {p}: dates must be YYYY-MM-DD; row 2 has '01/10/2026'"


@pytest.mark.parametrize(
    "content, fault",
    [
        ("{policy: 3", "not a readable JSON file (Expecting property name"),
        ("[1, 2]", "options must be a JSON object"),
        (json.dumps({"walk_km": "far"}), "options.walk_km must be a number; got 'far'"),
        ('{"walk_km": NaN}', "options.walk_km must be a number; got nan"),
        (json.dumps({"fleet": 3}), "options.fleet must be an object"),
    ],
)
def test_evac_plan_with_bad_options_names_the_file(tmp_path, content, fault):
    p = tmp_path / "options.json"
    p.write_text(content, encoding="utf-8")
    result, stderr = run("evac", "plan", "--run", "1", "--options", str(p))
    assert result.exit_code == 1
    line = one_line_error(stderr)
    assert line.startswith(f"error: {p}: ") and fault in line


def test_evac_plan_with_a_run_id_past_the_database_range_is_a_usage_error():
    result, stderr = run("evac", "plan", "--run", "99999999999999")
    assert result.exit_code == 2 and "Traceback" not in stderr
    assert "2147483647" in stderr


def test_sample_load_of_a_damaged_directory_names_the_file(sample_dir, tmp_path):
    import shutil

    d = tmp_path / "county"
    shutil.copytree(sample_dir, d)
    (d / "roads.gpkg").write_bytes((sample_dir / "roads.gpkg").read_bytes()[:5000])
    result, stderr = run("sample", "load", str(d))
    assert result.exit_code == 1
    assert one_line_error(stderr).startswith(f"error: {d / 'roads.gpkg'}: not a readable GeoPackage")


def test_an_error_nobody_foresaw_is_still_one_line(tmp_path, monkeypatch):
    import pipelines.fire

    def broken(*args, **kwargs):
        raise KeyError("ffmc")

    monkeypatch.setattr(pipelines.fire, "read_station_csv", broken)
    result, stderr = run("fwi", str(tmp_path / "any.csv"))
    assert result.exit_code == 1
    line = one_line_error(stderr)
    assert "unexpected KeyError: 'ffmc'" in line and "RISKMAP_TRACEBACK=1" in line
    # and for the one who reports it, where it happened
    result, _ = run("fwi", str(tmp_path / "any.csv"), env={"RISKMAP_TRACEBACK": "1"})
    assert isinstance(result.exception, KeyError)


def test_a_refused_database_value_is_one_line(monkeypatch, tmp_path):
    """What PostgreSQL refuses (here: a NUL in a text) is said as the fault, not as psycopg's error."""
    import psycopg

    import pipelines.fire

    def refuse(*args, **kwargs):
        raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

    monkeypatch.setattr(pipelines.fire, "read_station_csv", refuse)
    result, stderr = run("fwi", str(tmp_path / "any.csv"))
    assert result.exit_code == 1
    assert "a text contains a NUL (0x00) character" in one_line_error(stderr)
