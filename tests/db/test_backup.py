"""`riskmap db backup` / `riskmap db restore` on the sample county: every table's rows, the run's
rasters and a map tile are the same after the round trip; a database with data is not replaced
without --force; a missing or too old pg_dump is named with what to install."""

from __future__ import annotations

import math
import os
import stat

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from typer.testing import CliRunner


@pytest.fixture()
def restored_url(database_url):
    url = make_url(database_url)
    name = f"{url.database}_restored"
    yield url.set(database=name).render_as_string(False)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def cli(monkeypatch, args, **env):
    from backend.cli import app
    from backend.config import get_settings

    for k, v in env.items():
        monkeypatch.setenv(k, str(v))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()


def counts(url):
    from backend.backup import connect, table_counts

    with connect(url) as conn:
        return table_counts(conn)


def checksums(run_dir):
    from backend.backup import sha256

    return {p.name: sha256(p) for p in sorted(run_dir.iterdir())}


def a_tile(url, run_id):
    from backend.config import get_settings
    from backend.db import make_engine
    from backend.onemap.tiles import TileService

    engine = make_engine(get_settings(), url=url)
    try:
        lon, lat, z = 115.0, 25.8, 10
        n = 2**z
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        tile, _ = TileService(engine).tile("onemap", z, x, y, run=run_id)
        return tile.body(accepts_gzip=True)
    finally:
        engine.dispose()


def features(tile: bytes) -> list[str]:
    """A tile's features, geometry and properties, in a fixed order: the bytes follow the order the
    planner happens to read the zones in (an index after a restore), which the tile SQL leaves open."""
    import gzip

    import mapbox_vector_tile

    layers = mapbox_vector_tile.decode(gzip.decompress(tile))
    return sorted(
        f"{name} {f['properties']} {f['geometry']}"
        for name, layer in layers.items()
        for f in layer["features"]
    )


def test_a_backup_restores_the_sample_county_exactly(
    monkeypatch, published, data_dir, database_url, restored_url, tmp_path
):
    from backend.auth.service import secret_key
    from backend.config import Settings

    run_id = published.run_id
    secret_key(Settings(data_dir=data_dir))  # the key kept in the data directory, as `serve` makes it
    archive = tmp_path / "riskmap.backup"
    r = cli(monkeypatch, ["db", "backup", str(archive)], RISKMAP_DATA_DIR=data_dir)
    assert r.exit_code == 0, r.output
    assert "backup written" in r.output
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600  # password hashes, phones, the key

    other = tmp_path / "elsewhere"  # a new machine: an empty database and data directory
    r = cli(
        monkeypatch,
        ["db", "restore", str(archive)],
        RISKMAP_DATA_DIR=other,
        RISKMAP_DATABASE_URL=restored_url,
    )
    assert r.exit_code == 0, r.output
    before, after = counts(database_url), counts(restored_url)
    assert after == before and before["public.risk_zone"] > 0 and before["public.recipient"] > 1000
    assert checksums(other / "runs" / str(run_id)) == checksums(data_dir / "runs" / str(run_id))
    assert (other / ".secret_key").read_bytes() == (data_dir / ".secret_key").read_bytes()
    tile = a_tile(restored_url, run_id)
    assert len(tile) > 100 and features(tile) == features(a_tile(database_url, run_id))

    # the restored database has data now: not replaced without --force
    r = cli(
        monkeypatch,
        ["db", "restore", str(archive)],
        RISKMAP_DATA_DIR=other,
        RISKMAP_DATABASE_URL=restored_url,
    )
    assert r.exit_code == 1
    assert "--force" in r.output and "holds" in r.output
    with sa.create_engine(make_url(restored_url)).begin() as c:  # a change made after the backup
        c.execute(sa.text("DELETE FROM shelter WHERE id = (SELECT min(id) FROM shelter)"))
    r = cli(
        monkeypatch,
        ["db", "restore", str(archive), "--force"],
        RISKMAP_DATA_DIR=other,
        RISKMAP_DATABASE_URL=restored_url,
    )
    assert r.exit_code == 0, r.output
    assert counts(restored_url) == before  # the change is gone: the backup's state is back
    assert list(other.glob("runs.before-restore-*"))  # the old rasters kept aside, not deleted


def test_a_damaged_or_foreign_file_is_refused_before_anything_is_touched(monkeypatch, tmp_path, database_url):
    r = cli(monkeypatch, ["db", "restore", str(tmp_path / "nothing.backup")])
    assert r.exit_code == 1 and "no such file" in r.output
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a tar file at all" * 100)
    r = cli(monkeypatch, ["db", "restore", str(junk)])
    assert r.exit_code == 1 and "not a riskmap backup" in r.output


def test_pg_dump_missing_or_older_than_the_server_is_named_with_what_to_install(monkeypatch, tmp_path):
    from backend.backup import BackupError, find_tool

    with pytest.raises(BackupError, match=r"pg_dump for PostgreSQL 99 .*older.*postgresql-client-99"):
        find_tool("pg_dump", 99)  # only 15 is installed
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match=r"pg_restore for PostgreSQL 98 not found .*RISKMAP_PG_BIN_DIR"):
        find_tool("pg_restore", 98, tmp_path)
    assert find_tool("pg_dump", 15).name == "pg_dump"  # Debian's /usr/lib/postgresql/15/bin
