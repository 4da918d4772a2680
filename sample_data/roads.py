"""The sample county's road network: a connected graph of county, township and village roads
between villages and shelters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay

from sample_data import terrain
from sample_data.county import County

ROAD_SPEED_KMH = {"county": 60.0, "township": 40.0, "village": 25.0}


def build_roads(county: County) -> None:
    """County, township and village roads joining every village and shelter, as segments
    between numbered nodes; each village and shelter is a node of the road graph."""
    rng, v, s = county.rng, county.villages, county.shelters
    vxy = v[["x", "y"]].to_numpy()
    edges: list[tuple[int, int, str]] = []  # node indices into vxy / shelters

    def mst_with_loops(idx: np.ndarray, loops: float) -> list[tuple[int, int]]:
        if len(idx) < 2:
            return []
        if len(idx) == 2:
            return [(int(idx[0]), int(idx[1]))]
        tri = Delaunay(vxy[idx])
        pairs = set()
        for simplex in tri.simplices:
            for a, b in ((0, 1), (1, 2), (0, 2)):
                i, j = sorted((simplex[a], simplex[b]))
                pairs.add((int(i), int(j)))
        pairs = sorted(pairs)
        pa = np.array(pairs)
        d = np.hypot(*(vxy[idx[pa[:, 0]]] - vxy[idx[pa[:, 1]]]).T)
        g = coo_matrix((d, (pa[:, 0], pa[:, 1])), shape=(len(idx), len(idx)))
        tree = minimum_spanning_tree(g).tocoo()
        chosen = {(int(min(a, b)), int(max(a, b))) for a, b in zip(tree.row, tree.col, strict=True)}
        extra = [
            p for p, dd in sorted(zip(pairs, d, strict=True), key=lambda t: t[1]) if p not in chosen
        ][: int(len(chosen) * loops)]
        # loops only where they are short: no long detours across ridges
        chosen |= set(extra)
        return [(int(idx[a]), int(idx[b])) for a, b in sorted(chosen)]

    hubs = np.nonzero((v.kind == "centre").values)[0]
    seat_hub = int(np.nonzero((v.kind == "community").values)[0][0])
    hubs = np.concatenate([[seat_hub], hubs])
    edges += [(a, b, "county") for a, b in mst_with_loops(hubs, 0.35)]
    for t in range(len(county.township_polys)):
        idx = np.nonzero(v.town.values == t)[0]
        for a, b in mst_with_loops(idx, 0.15):
            urban = v.kind[a] == "community" and v.kind[b] == "community"
            both_hubs = a in hubs and b in hubs
            if not both_hubs:
                edges.append(
                    (
                        a,
                        b,
                        "township"
                        if urban or v.kind[a] != "village" or v.kind[b] != "village"
                        else "village",
                    )
                )
    # the seat's communities join the seat hub's street network
    # shelters: a short village road to the host village
    n_v = len(v)
    for k, host in enumerate(s.host.values):
        edges.append((int(host), n_v + k, "village"))
    node_xy = np.vstack([vxy, s[["x", "y"]].to_numpy()])
    # densify each road into segments between junction nodes, with a gentle meander
    seg_rows = []
    next_node = len(node_xy) + 1  # node ids: 1..N for places, then junctions
    rid = 0
    road_no = {"county": 0, "township": 0, "village": 0}
    prefix = {"county": "X", "township": "Y", "village": "C"}
    seen = set()
    for a, b, cls in edges:
        key = (min(a, b), max(a, b))
        if key in seen or a == b:
            continue
        seen.add(key)
        road_no[cls] += 1
        pa, pb = node_xy[a], node_xy[b]
        length = float(np.hypot(*(pb - pa)))
        line = terrain.meander(rng, pa, pb, 120.0, 0.035) if length > 300 else np.array([pa, pb])
        n_seg = max(1, int(round(length / county.spec.segment_m)))
        cuts = np.linspace(0, len(line) - 1, n_seg + 1).round().astype(int)
        ids = [a + 1] + [0] * (n_seg - 1) + [b + 1]
        for j in range(1, n_seg):
            ids[j] = next_node
            next_node += 1
        for j in range(n_seg):
            part = line[cuts[j] : cuts[j + 1] + 1]
            if len(part) < 2:
                continue
            geom = shapely.LineString(part)
            if not geom.is_valid or geom.length < 1.0:  # a degenerate bit of meander
                geom = shapely.LineString([part[0], part[-1]])
                if geom.length < 1.0:
                    continue
            rid += 1
            seg_rows.append(
                {
                    "id": rid,
                    "source": ids[j],
                    "target": ids[j + 1],
                    "name": f"{prefix[cls]}{road_no[cls]:03d}",
                    "class": cls,
                    "speed_kmh": ROAD_SPEED_KMH[cls],
                    "length_m": round(geom.length, 1),
                    "closed": False,
                    "geometry": geom,
                }
            )
    county.roads = pd.DataFrame(seg_rows)
    # each village and shelter is a node of the road graph
    county.villages["road_node"] = np.arange(n_v) + 1
    county.shelters["road_node"] = n_v + np.arange(len(s)) + 1
