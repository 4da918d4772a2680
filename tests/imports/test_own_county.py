"""A county of one's own: the sample county, rewritten as the files bureaus have (GBK shapefile in a
Gauss-Krüger zone, XLSX with Chinese headers, GB18030 CSV in GCJ-02, GeoPackage, OSM PBF), imported
into an empty database equals the sample loaded by `riskmap sample load` — and so does a run on it."""

from __future__ import annotations

import shapely
import sqlalchemy as sa

from tests.imports.conftest import import_all
from tests.imports.formats import metres

PLACES = {
    "township": "SELECT t.code, t.name, t.population, ST_AsBinary(t.geom) FROM township t ORDER BY t.code",
    "village": "SELECT v.code, t.code, v.name, v.population, v.elderly, v.households, ST_AsBinary(v.geom) "
    "FROM village v JOIN township t ON t.id = v.township_id ORDER BY v.code",
    "shelter": "SELECT s.code, t.code, s.name, s.class, s.area_m2, s.capacity, s.occupancy, s.status, "
    "ST_AsBinary(s.geom) FROM shelter s LEFT JOIN township t ON t.id = s.township_id ORDER BY s.code",
    "hazard_site": "SELECT h.code, h.kind, h.name, t.code, v.code, h.threatened_people, h.threat_radius_m, "
    "ST_AsBinary(h.geom) FROM hazard_site h LEFT JOIN township t ON t.id = h.township_id "
    "LEFT JOIN village v ON v.id = h.village_id ORDER BY h.code",
    "county": "SELECT c.code, c.name, c.population, ST_AsBinary(c.geom) FROM county c ORDER BY c.code",
}
RECIPIENTS = (
    "SELECT r.code, r.name, r.role, r.title, t.code, v.code, r.phone, r.email, r.active FROM recipient r "
    "LEFT JOIN township t ON t.id = r.township_id LEFT JOIN village v ON v.id = r.village_id ORDER BY r.code"
)
ROADS = (
    "SELECT id, source, target, name, class, speed_kmh, length_m, closed, ST_AsBinary(geom) "
    "FROM road ORDER BY id"
)


def _all(engine, sql):
    with engine.connect() as c:
        return c.execute(sa.text(sql)).all()


def _split(rows):
    """(attributes, shapely geometries) of rows whose last column is WKB."""
    return [tuple(r[:-1]) for r in rows], [shapely.from_wkb(bytes(r[-1])) for r in rows]


def _far(a, b) -> float:
    """The largest distance in metres between the vertices of two shapes (Hausdorff, in degrees × 1e5
    is close enough at 1 m: here computed from matched vertices where both have the same count)."""
    ca, cb = shapely.get_coordinates(a), shapely.get_coordinates(b)
    if len(ca) == len(cb):
        return float(metres(ca, cb).max())
    return shapely.hausdorff_distance(a, b) * 111_000


def test_every_kind_imports_without_a_rejected_row(own_county):
    for kind, report in own_county.reports.items():
        r = report.to_json()
        assert r["status"] == "imported", (kind, r["errors"][:5])
        assert r["rejected"] == 0 and r["written"], kind
        assert r["changes"]["inserted"] == r["rows"] > 0, kind
    notes = " ".join(own_county.reports["townships"].notes)
    assert "GB18030" in notes  # no .cpg: the GBK text was detected
    assert own_county.reports["townships"].crs == "EPSG:4547"
    assert own_county.reports["shelters"].coords == "gcj02"
    assert "lie in" in " ".join(own_county.reports["shelters"].notes)  # township found by location
    graph = own_county.reports["roads"].extras["graph"]
    assert graph["components"] == 1 and graph["largest_share"] == 1.0


def test_the_imported_county_equals_the_sample(own_county, reference_db):
    for table, sql in PLACES.items():
        mine, theirs = _split(_all(own_county.engine, sql)), _split(_all(reference_db, sql))
        assert mine[0] == theirs[0], table  # codes, names, numbers, township and village codes
        limit = 5.0 if table == "shelter" else 1.0  # shelters came through GCJ-02
        worst = max(_far(a, b) for a, b in zip(mine[1], theirs[1], strict=True))
        assert worst < limit, (table, worst)
    assert _all(own_county.engine, RECIPIENTS) == _all(reference_db, RECIPIENTS)


def test_the_imported_road_graph_is_the_samples(own_county, reference_db):
    """Segment by segment (the PBF holds one way per sample segment, in id order) the same
    attributes and shape, and the same graph: segment ends grouped into the same junctions."""
    mine, theirs = _all(own_county.engine, ROADS), _all(reference_db, ROADS)
    assert [r[0] for r in mine] == [r[0] for r in theirs]

    def junctions(rows):
        nodes = {}
        for r in rows:
            nodes.setdefault(r[1], set()).add((r[0], "start"))
            nodes.setdefault(r[2], set()).add((r[0], "end"))
        return {frozenset(v) for v in nodes.values()}

    assert junctions(mine) == junctions(theirs)
    for a, b in zip(mine, theirs, strict=True):
        assert (a[3], a[4], a[5], a[7]) == (b[3], b[4], b[5], b[7])  # name, class, speed, closed
        # length_m in 0.1 m steps: ours on the ellipsoid, the sample's in UTM 50N (CM 117°E), whose
        # scale is 1.0000–1.0003 across the county
        assert abs(a[6] - b[6]) <= 0.1 + 4e-4 * b[6]
        assert _far(shapely.from_wkb(bytes(a[-1])), shapely.from_wkb(bytes(b[-1]))) < 1.0


def _digest(engine) -> dict:
    with engine.connect() as c:
        rows = {
            t: c.execute(sa.text(f"SELECT md5(string_agg(xmin::text, ',' ORDER BY id)) FROM {t}")).scalar()
            for t in ("county", "township", "village", "shelter", "road", "hazard_site", "recipient")
        }
        rows["versions"] = c.execute(
            sa.text("SELECT json_object_agg(table_name, version) FROM data_version")
        ).scalar()
    return rows


def _audited(engine) -> dict:
    with engine.connect() as c:
        return dict(c.execute(sa.text("SELECT action, count(*) FROM audit_log GROUP BY action")).all())


def test_importing_the_same_files_again_changes_nothing(own_county):
    before, audited = _digest(own_county.engine), _audited(own_county.engine)
    reports = import_all(own_county.engine, own_county.files)
    for kind, report in reports.items():
        assert report.changes == {"inserted": 0, "updated": 0, "unchanged": report.rows, "deleted": 0}, kind
    assert _digest(own_county.engine) == before  # not a row rewritten, no data version bumped
    # every import is in the audit log, the unchanging ones too
    assert _audited(own_county.engine) == {k: n + 1 for k, n in audited.items()}
    assert set(audited) == {f"import.{k}" for k in reports}


def test_a_run_on_the_imported_county_equals_the_run_on_the_sample(
    own_county, published, engine, sample_dir, own_data_dir
):
    from pipelines.run import RunInputs, run_pipeline

    mine = run_pipeline(own_county.engine, RunInputs.sample(sample_dir), own_data_dir, force=True)
    sql = (
        "SELECT t.code, r.hazard, r.level, r.exposed_1, r.exposed_2, r.exposed_3, r.exposed_4 "
        "FROM township_risk r JOIN township t ON t.id = r.township_id WHERE r.run_id = :run "
        "ORDER BY t.code, r.hazard"
    )
    with own_county.engine.connect() as c:
        ours = c.execute(sa.text(sql), {"run": mine.run_id}).all()
    with engine.connect() as c:
        theirs = c.execute(sa.text(sql), {"run": published.run_id}).all()
    assert len(ours) == 19 * 4
    assert ours == theirs  # every township's level per hazard, and its exposed people per level


def test_the_same_villages_from_other_formats_change_nothing(own_county, tmp_path):
    """A GBK shapefile with its .cpg in EPSG:4547, and a CSV of surveyed X (northing) / Y (easting
    with the zone-38 prefix) without any --crs: the same villages, to the centimetre."""
    from backend.imports.service import run_import
    from backend.imports.spec import Options
    from tests.imports import formats

    s = own_county.files.sample
    shp = run_import(
        own_county.engine, "villages", formats.villages_shp(s, tmp_path), Options(dry_run=True), "t"
    )
    assert shp.crs == "EPSG:4547" and "GBK (its .cpg)" in " ".join(shp.notes)
    assert shp.changes["unchanged"] == 300, shp.to_json()["errors"][:3]
    xy = run_import(
        own_county.engine, "villages", formats.villages_xy_csv(s, tmp_path), Options(dry_run=True), "t"
    )
    assert xy.crs == "EPSG:4526" and "swapped" in " ".join(xy.notes)
    assert xy.changes["unchanged"] == 300  # elderly and households, absent from the file, kept
