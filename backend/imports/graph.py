"""The routing graph of imported roads: segments noded at their endpoints, and how connected the
network is.

Line files rarely carry a graph. Each segment's two ends become nodes; ends closer than
``SNAP_M`` metres are one node (union-find over a KD-tree's close pairs), numbered 1, 2, … in the
order the segments first reach them, so the same file always gives the same graph. The road
table allows neither a segment from a node to itself nor two segments between the same nodes
(``uq_road_source_target``), so a loop (a roundabout, both ends snapped together) and the second
of two parallel segments are cut in two at their middle, with a node of their own there.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

SNAP_M = 1.0


def metric(lines: np.ndarray, epsg: int) -> np.ndarray:
    t = Transformer.from_crs(4326, epsg, always_xy=True)
    return shapely.transform(lines, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def geodesic_length_m(lines: np.ndarray) -> np.ndarray:
    """Lengths on the WGS84 ellipsoid of lines in EPSG:4326 (no projection's scale error)."""
    from pyproj import Geod

    xy, index = shapely.get_coordinates(lines, return_index=True)
    same = index[1:] == index[:-1]
    _, _, d = Geod(ellps="WGS84").inv(xy[:-1, 0][same], xy[:-1, 1][same], xy[1:, 0][same], xy[1:, 1][same])
    return np.bincount(index[1:][same], weights=np.abs(d), minlength=len(lines))


def _union_find(n: int, pairs: np.ndarray) -> np.ndarray:
    parent = np.arange(n)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(n)])


def node(lines_m: np.ndarray, snap_m: float = SNAP_M) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) node ids 1..N for segments given in a metric CRS."""
    starts = shapely.get_coordinates(shapely.get_point(lines_m, 0))
    ends = shapely.get_coordinates(shapely.get_point(lines_m, -1))
    n = len(lines_m)
    pts = np.empty((2 * n, 2))
    pts[0::2], pts[1::2] = starts, ends  # in the order the segments reach them
    pairs = cKDTree(pts).query_pairs(snap_m, output_type="ndarray") if n else np.empty((0, 2), int)
    roots = _union_find(2 * n, pairs)
    _, first = np.unique(roots, return_index=True)
    order = np.argsort(first)  # roots numbered by first appearance
    number = np.empty(len(first), dtype=np.int64)
    number[order] = np.arange(1, len(first) + 1)
    ids = number[np.searchsorted(np.unique(roots), roots)]
    return ids[0::2], ids[1::2]


def halves(line: shapely.LineString) -> tuple[shapely.LineString, shapely.LineString]:
    """A line cut at half its length (at a new vertex, unless one of its own is there)."""
    d = line.length / 2
    coords = shapely.get_coordinates(line)
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
    k = int(np.searchsorted(along, d, side="right"))  # vertices 0 … k-1 lie at or before the cut
    if np.isclose(along[k - 1], d):
        return shapely.LineString(coords[:k]), shapely.LineString(coords[k - 1 :])
    mid = np.asarray(line.interpolate(d).coords[0])
    return shapely.LineString(np.vstack([coords[:k], mid])), shapely.LineString(np.vstack([mid, coords[k:]]))


def to_split(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Segments to cut in two: loops, and every repeat of a node pair after its first segment."""
    loops = source == target
    pair = np.where(source < target, source * (1 << 32) + target, target * (1 << 32) + source)
    _, first = np.unique(pair, return_index=True)
    repeat = np.ones(len(pair), dtype=bool)
    repeat[first] = False
    return np.nonzero(loops | repeat)[0]


def components(source: np.ndarray, target: np.ndarray) -> dict:
    """How connected the graph is: components, and the segments outside the largest one."""
    if len(source) == 0:
        return {"nodes": 0, "edges": 0, "components": 0, "largest_share": 0.0, "outside": np.array([], int)}
    n = int(max(source.max(), target.max())) + 1
    g = coo_matrix((np.ones(len(source)), (source, target)), shape=(n, n))
    count, label = connected_components(g, directed=False)
    used = np.unique(np.concatenate([source, target]))
    sizes = np.bincount(label[source], minlength=count)  # edges per component
    main = int(np.argmax(sizes))
    outside = np.nonzero(label[source] != main)[0]
    return {
        "nodes": int(len(used)),
        "edges": int(len(source)),
        "components": int(len(np.unique(label[used]))),
        "largest_share": round(float(sizes[main] / len(source)), 4),
        "outside": outside,
    }
