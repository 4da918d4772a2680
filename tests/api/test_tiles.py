"""Vector tiles: decoded layers, features and attributes; caching; bad input."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
import sqlalchemy as sa

LAYERS = (
    "onemap",
    "rain",
    "fire",
    "geohazard",
    "townships",
    "villages",
    "shelters",
    "hazard_sites",
    "roads",
    "rivers",
    "county",
)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture(scope="module")
def centre(engine, published):
    with engine.connect() as c:
        lon, lat = c.execute(
            sa.text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Centroid(geom) p FROM county_outline) s")
        ).one()
    return lon, lat


def decode(r):
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(r.content)


def test_every_layer_has_features_over_the_county(client, published, centre):
    x, y = tile_of(*centre, 9)
    for layer in LAYERS:
        tile = decode(client.get(f"/tiles/{layer}/9/{x}/{y}.pbf?run={published.run_id}"))
        assert list(tile) == [layer], layer
        assert len(tile[layer]["features"]) > 0, layer


def test_risk_tiles_carry_levels_and_dominant_hazard(client, published, centre, engine):
    x, y = tile_of(*centre, 7)
    tile = decode(client.get(f"/tiles/onemap/7/{x}/{y}.pbf?run={published.run_id}"))
    feats = tile["onemap"]["features"]
    assert {f["properties"]["level"] for f in feats} == {1, 2, 3, 4}
    assert {f["properties"]["dominant"] for f in feats} == {"rain", "fire", "geohazard"}
    assert set(feats[0]["properties"]) == {"level", "dominant"}  # only what the map uses
    with engine.connect() as c:  # one feature per zone at the tile's detail (z7 → detail 0)
        n = c.execute(
            sa.text("SELECT count(*) FROM risk_zone WHERE run_id = :r AND hazard = 'onemap' AND detail = 0"),
            {"r": published.run_id},
        ).scalar()
    assert len(feats) == n  # the whole county fits in this one z7 tile


def test_township_and_shelter_attributes(client, published, centre, engine):
    x, y = tile_of(*centre, 7)
    towns = decode(client.get(f"/tiles/townships/7/{x}/{y}.pbf?run={published.run_id}"))["townships"]
    assert len(towns["features"]) == 19
    props = {f["properties"]["code"]: f["properties"] for f in towns["features"]}
    with engine.connect() as c:
        expected = dict(
            c.execute(
                sa.text(
                    "SELECT t.code, tr.level FROM township_risk tr JOIN township t ON t.id = tr.township_id "
                    "WHERE run_id = :r AND hazard = 'onemap'"
                ),
                {"r": published.run_id},
            ).all()
        )
    assert {k: v["level"] for k, v in props.items()} == expected
    assert all(p["warning_level"] == 0 for p in props.values())
    shelters = decode(client.get(f"/tiles/shelters/7/{x}/{y}.pbf?run={published.run_id}"))["shelters"]
    s = shelters["features"][0]["properties"]
    assert set(s) == {"id", "code", "name", "class", "capacity", "occupancy", "free", "status", "safe"}
    assert len(shelters["features"]) == 145
    assert any(not f["properties"]["safe"] for f in shelters["features"])  # some stand in orange/red


def test_a_tile_outside_the_county_is_204(client, published):
    r = client.get(f"/tiles/onemap/9/0/0.pbf?run={published.run_id}")
    assert r.status_code == 204 and r.content == b""


def test_conditional_requests_get_304_and_run_urls_are_immutable(client, published, centre):
    x, y = tile_of(*centre, 10)
    url = f"/tiles/onemap/10/{x}/{y}.pbf?run={published.run_id}"
    r = client.get(url)
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    etag = r.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    latest = client.get(f"/tiles/onemap/10/{x}/{y}.pbf")
    assert "immutable" not in latest.headers["cache-control"]


def test_gzip_when_accepted(client, published, centre):
    x, y = tile_of(*centre, 9)
    r = client.get(f"/tiles/townships/9/{x}/{y}.pbf", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert mapbox_vector_tile.decode(r.content)["townships"]["features"]  # httpx un-gzips
    plain = client.get(f"/tiles/townships/9/{x}/{y}.pbf", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == r.content


def test_a_repeated_tile_costs_no_query(client, published, centre):
    x, y = tile_of(*centre, 11)
    url = f"/tiles/geohazard/11/{x}/{y}.pbf?run={published.run_id}"
    client.get(url)
    cache = client.app.state.tiles.cache
    hits = cache.hits
    client.get(url)
    assert cache.hits == hits + 1


def test_live_layers_change_etag_when_data_changes(client, published, centre, engine):
    x, y = tile_of(*centre, 8)
    url = f"/tiles/shelters/8/{x}/{y}.pbf?run={published.run_id}"
    first = client.get(url)
    assert first.headers["cache-control"] == "public, max-age=30"
    with engine.begin() as c:
        c.execute(
            sa.text("UPDATE shelter SET occupancy = occupancy + 1 WHERE id = (SELECT min(id) FROM shelter)")
        )
    try:
        client.app.state.tiles.version_ttl_s = 0
        second = client.get(url)
        assert second.headers["etag"] != first.headers["etag"]
    finally:
        with engine.begin() as c:
            c.execute(
                sa.text(
                    "UPDATE shelter SET occupancy = occupancy - 1 WHERE id = (SELECT min(id) FROM shelter)"
                )
            )


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/tiles/onemap/23/0/0.pbf", 400, "zoom 23 is outside 0..22"),
        ("/tiles/onemap/-1/0/0.pbf", 400, "zoom -1"),
        ("/tiles/onemap/3/8/0.pbf", 400, "outside the 8×8 matrix"),
        ("/tiles/onemap/3/0/-1.pbf", 400, "outside"),
        ("/tiles/nothing/3/0/0.pbf", 404, "no layer 'nothing'"),
        ("/tiles/onemap/3/0/0.pbf?run=999999", 404, "run 999999 does not exist"),
        ("/tiles/routes/3/0/0.pbf?plan=999999", 404, "plan 999999 does not exist"),
        ("/tiles/routes/3/0/0.pbf", 400, "needs ?plan="),
        ("/tiles/onemap/3/x/0.pbf", 422, ""),
    ],
)
def test_bad_tile_requests_are_problem_json(client, published, url, status, detail):
    r = client.get(url)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert detail in r.json()["detail"]


def test_tilejson(client, published):
    tj = client.get(f"/tiles/onemap.json?run={published.run_id}").json()
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"][0].endswith(f"/tiles/onemap/{{z}}/{{x}}/{{y}}.pbf?run={published.run_id}")
    west, south, east, north = tj["bounds"]
    assert 114.5 < west < east < 115.5 and 25.3 < south < north < 26.3
    assert tj["vector_layers"][0]["id"] == "onemap"
    assert tj["vector_layers"][0]["fields"] == {"level": "Number", "dominant": "String"}
    assert client.get("/tiles/nothing.json").status_code == 404


def test_shelters_geojson(client, published):
    body = client.get(f"/api/shelters?run={published.run_id}").json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 145
    p = body["features"][0]["properties"]
    assert p["free"] == p["capacity"] - p["occupancy"] and isinstance(p["safe"], bool)
    one = client.get("/api/shelters?township=360799100000").json()
    assert all(f["properties"]["township_code"] == "360799100000" for f in one["features"])
    assert client.get("/api/shelters?township=12").status_code == 422
