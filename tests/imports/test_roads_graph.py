"""The road graph: segment ends noded within a metre, loops and parallel segments cut in two,
connectivity reported; OpenStreetMap ways cut at their junctions, highway tags mapped."""

from __future__ import annotations

import numpy as np
import shapely

from backend.imports import graph, osm, rows
from backend.imports.kinds import KINDS
from backend.imports.spec import Options


def test_ends_within_a_metre_are_one_node_numbered_in_order():
    lines = np.array(
        [
            shapely.LineString([(0, 0), (100, 0)]),
            shapely.LineString([(100.4, 0.3), (100, 100)]),  # starts 0.5 m from the first's end
            shapely.LineString([(500, 500), (600, 500)]),  # an island
        ]
    )
    source, target = graph.node(lines)
    assert source.tolist() == [1, 2, 4] and target.tolist() == [2, 3, 5]
    info = graph.components(source, target)
    assert info["components"] == 2 and info["outside"].tolist() == [2]


def test_loops_and_repeats_are_found_and_halved():
    s, t = np.array([1, 2, 1, 3]), np.array([2, 2, 2, 1])
    assert graph.to_split(s, t).tolist() == [1, 2]  # the loop, and the second 1–2
    a, b = graph.halves(shapely.LineString([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]))
    assert a.length == b.length == 20 and a.coords[-1] == b.coords[0] == (10.0, 10.0)


def _pbf(path):
    import osmium

    w = osmium.SimpleWriter(str(path), overwrite=True)
    for nid, (x, y) in {
        1: (115.0, 25.8),
        2: (115.01, 25.8),
        3: (115.02, 25.8),
        4: (115.01, 25.79),
        5: (115.01, 25.81),
        6: (115.03, 25.8),
        7: (115.03, 25.81),
        8: (115.04, 25.805),
    }.items():
        w.add_node(osmium.osm.mutable.Node(id=nid, location=(x, y), tags={}))
    w.add_way(osmium.osm.mutable.Way(id=10, nodes=[1, 2, 3], tags={"highway": "secondary", "name": "S223"}))
    w.add_way(osmium.osm.mutable.Way(id=11, nodes=[4, 2, 5], tags={"highway": "track", "maxspeed": "20"}))
    w.add_way(osmium.osm.mutable.Way(id=12, nodes=[3, 6], tags={"highway": "footway"}))  # not for cars
    w.add_way(osmium.osm.mutable.Way(id=13, nodes=[6, 7, 8, 6], tags={"highway": "residential"}))  # a loop
    w.close()


def test_osm_ways_are_cut_at_shared_nodes_and_mapped_to_our_classes(tmp_path):
    path = tmp_path / "t.osm.pbf"
    _pbf(path)
    kind = KINDS["roads"]
    source = osm.read(path, Options())
    assert source.where == ["way 10 part 1", "way 10 part 2", "way 11 part 1", "way 11 part 2", "way 13"]
    batch = rows.build(kind, source, Options())
    kind.prepare(batch)
    f = batch.frame
    assert f["class"].tolist()[:4] == ["county", "county", "village", "village"]
    assert f.speed_kmh.tolist()[:4] == [60.0, 60.0, 20.0, 20.0]  # secondary, and the track's maxspeed
    assert f.name.tolist()[:2] == ["S223", "S223"]
    # the closed way 13 is cut until it is a triangle: no segment from a node to itself, no two
    # between the same nodes (the road table allows neither)
    assert len(batch) == 7 and not batch.errors
    assert (f.source != f.target).all()
    assert len({frozenset(p) for p in zip(f.source, f.target, strict=True)}) == 7
    assert batch.extras["graph"]["components"] == 2  # the loop is not reached by the others
    assert abs(f.length_m[0] - 1004.0) < 5  # 0.01° of longitude at 25.8°N is ≈ 1,004 m
