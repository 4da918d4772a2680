"""Import kind of the road network: segments with class and speed, as a routing graph.

A roads file is the whole network: segments missing from it are removed, as the sample loader
does. Its graph comes from the file when it has ``source``/``target`` columns, else it is built by
noding the segments' ends (``backend.imports.graph``); either way its connectivity is reported.
Lengths are geodesic (on the WGS84 ellipsoid), free of any projection's scale error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from backend.imports import graph, osm
from backend.imports.crs import metric_epsg
from backend.imports.spec import Batch, Field, Kind
from backend.models.places import ROAD_CLASSES

#: speeds when a file gives none, by class (those of the sample county)
SPEED_KMH = {"county": 60.0, "township": 40.0, "village": 25.0}
#: OSM clipping: segments farther than this from the county are left out (degrees, ≈ 1 km)
CLIP_DEG = 0.01

ROAD_CLASS_NAMES = {
    "国道": "county",
    "省道": "county",
    "县道": "county",
    "高速": "county",
    "高速公路": "county",
    "一级公路": "county",
    "二级公路": "county",
    "主干路": "county",
    "快速路": "county",
    "乡道": "township",
    "三级公路": "township",
    "次干路": "township",
    "村道": "village",
    "四级公路": "village",
    "等外公路": "village",
    "专用公路": "village",
    "支路": "village",
    **{tag: cls for tag, (cls, _) in osm.HIGHWAY.items()},
    **{c: c for c in ROAD_CLASSES},
}


def _explode(batch: Batch) -> None:
    rows, geoms, suffix = [], [], []
    for i, g in enumerate(batch.geometry):
        if g is None:
            rows.append(i)
            geoms.append(None)
            suffix.append("")
            continue
        parts = list(shapely.get_parts(g)) if g.geom_type == "MultiLineString" else [g]
        for k, p in enumerate(parts):
            rows.append(i)
            geoms.append(p)
            suffix.append(f" part {k + 1}" if len(parts) > 1 else "")
    if len(rows) != len(batch):
        batch.note(f"multi-part lines split into {len(rows)} segments")
        batch.extras["split"] = True
    batch.take(rows, geoms, suffix)


def _clip(batch: Batch) -> None:
    if batch.area is None or batch.source.format != "osm":
        return
    near = shapely.prepared.prep(batch.area.buffer(CLIP_DEG))
    keep = [i for i, g in enumerate(batch.geometry) if g is not None and near.intersects(g)]
    if len(keep) < len(batch):
        batch.note(f"{len(batch) - len(keep)} OpenStreetMap segment(s) outside the county left out")
        batch.take(keep)


def _prepare(batch: Batch) -> None:
    _clip(batch)
    _explode(batch)
    f = batch.frame
    rejected = batch.rejected
    valid = [i for i, g in enumerate(batch.geometry) if g is not None and i not in rejected]
    if valid:
        x0, y0, x1, y1 = shapely.total_bounds(np.asarray([batch.geometry[i] for i in valid], dtype=object))
        epsg = metric_epsg((x0 + x1) / 2, (y0 + y1) / 2)
    else:
        epsg = 4547
    batch.extras["metric_epsg"] = epsg
    lengths = [None] * len(batch)
    if valid:
        measured = graph.geodesic_length_m(np.asarray([batch.geometry[i] for i in valid], dtype=object))
        for i, m in zip(valid, measured, strict=True):
            if m < graph.SNAP_M:
                batch.error(i, "geometry", f"{m:.2f} m", f"shorter than {graph.SNAP_M:g} m")
            else:
                lengths[i] = round(float(m), 1)
    f["length_m"] = pd.Series(lengths, dtype=object)
    speeds = f.speed_kmh.tolist()
    for i, cls in enumerate(f["class"].tolist()):
        if speeds[i] is None and cls is not None:
            speeds[i] = SPEED_KMH[cls]
    f["speed_kmh"] = pd.Series(speeds, dtype=object)
    if batch.given("source") and batch.given("target"):
        _graph_from_file(batch)
    else:
        _graph_by_noding(batch, epsg)
    _report_connectivity(batch)


def _graph_from_file(batch: Batch) -> None:
    f = batch.frame
    seen: dict[tuple[int, int], int] = {}
    for i, (s, t) in enumerate(zip(f.source.tolist(), f.target.tolist(), strict=True)):
        if s is None or t is None:
            batch.error(i, "source" if s is None else "target", None, "missing")
            continue
        if s == t:
            batch.error(i, "target", t, "a segment from a node to itself")
            continue
        pair = (min(s, t), max(s, t))
        if pair in seen:
            batch.error(
                i,
                "target",
                f"{s}-{t}",
                f"a second segment between the same nodes (also {batch.source.where[seen[pair]]})",
            )
        else:
            seen[pair] = i
    ids = f["id"].tolist()
    if any(v is None for v in ids) or batch.extras.get("split"):
        batch.error(None, "id", None, "a file with source/target needs an id for every (single-part) segment")
    batch.note("the routing graph (source, target) taken from the file")


def _graph_by_noding(batch: Batch, epsg: int) -> None:
    for attempt in range(4):  # cutting a segment can, rarely, make a new repeat: cut again
        rejected = batch.rejected
        ok = [i for i in range(len(batch)) if i not in rejected and batch.geometry[i] is not None]
        lines = graph.metric(np.asarray([batch.geometry[i] for i in ok], dtype=object), epsg)
        source, target = graph.node(lines)
        cut = set(graph.to_split(source, target).tolist())
        if not cut:
            break
        if attempt == 3:
            for k in sorted(cut):
                batch.error(ok[k], "geometry", None, "a loop or a second segment between the same junctions")
            break
        rows, geoms, suffix = [], [], []
        cut_rows = {ok[k] for k in cut}
        for i, g in enumerate(batch.geometry):
            if i in cut_rows:
                a, b = graph.halves(g)
                rows += [i, i]
                geoms += [a, b]
                suffix += [" (first half)", " (second half)"]
            else:
                rows.append(i)
                geoms.append(g)
                suffix.append("")
        batch.note(f"{len(cut_rows)} loop or parallel segment(s) cut in two at their middle")
        batch.extras["split"] = True
        batch.take(rows, geoms, suffix)
        lengths = batch.frame["length_m"].tolist()
        for k, i in enumerate(rows):
            if i in cut_rows and geoms[k] is not None:
                lengths[k] = round(float(graph.geodesic_length_m(np.asarray([geoms[k]], dtype=object))[0]), 1)
        batch.frame["length_m"] = pd.Series(lengths, dtype=object)
    src = [None] * len(batch)
    tgt = [None] * len(batch)
    for k, i in enumerate(ok):
        src[i], tgt[i] = int(source[k]), int(target[k])
    batch.frame["source"] = pd.Series(src, dtype=object)
    batch.frame["target"] = pd.Series(tgt, dtype=object)
    ids = batch.frame["id"].tolist()
    file_ids = batch.given("id") and not batch.extras.get("split") and all(v is not None for v in ids)
    if not file_ids:
        batch.frame["id"] = pd.Series(list(range(1, len(batch) + 1)), dtype=object)
        batch.note("segment ids numbered 1, 2, … in file order")
    batch.note(f"the routing graph built by noding segment ends within {graph.SNAP_M:g} m")


def _report_connectivity(batch: Batch) -> None:
    source, target = batch.frame.source.tolist(), batch.frame.target.tolist()
    rejected = batch.rejected
    ok = [i for i in range(len(batch)) if i not in rejected and source[i] is not None]
    info = graph.components(
        np.asarray([source[i] for i in ok], dtype=np.int64),
        np.asarray([target[i] for i in ok], dtype=np.int64),
    )
    outside = [ok[k] for k in info.pop("outside")]
    info["not_connected"] = len(outside)
    batch.extras["graph"] = info
    if outside:
        examples = ", ".join(batch.source.where[i] for i in outside[:5])
        batch.warn(
            None,
            "geometry",
            len(outside),
            f"{len(outside)} segment(s) in {info['components'] - 1} piece(s) are not connected to the "
            f"main network (e.g. {examples}); routes cannot reach them",
        )


ROADS = Kind(
    name="roads",
    zh="道路",
    en="roads",
    table="road",
    key="id",
    geometry="line",
    columns=("id", "source", "target", "name", "class", "speed_kmh", "length_m", "closed"),
    replace_all=True,
    keep_absent=False,  # segment ids follow the file's order: a stored value may be another segment's
    fields=(
        Field(
            "id",
            "int",
            "编号",
            "id",
            aliases=("id", "fid", "编号", "道路编号", "路段编号"),
            example=1,
            help="segment id; without it: numbered in file order",
        ),
        Field(
            "name",
            "text",
            "道路名称",
            "name",
            aliases=("道路名称", "路名", "路线名称", "路线编号", "ref"),
            example="X001",
        ),
        Field(
            "class",
            "choice",
            "道路等级",
            "class",
            choices=ROAD_CLASS_NAMES,
            default="village",
            aliases=(
                "道路等级",
                "公路等级",
                "技术等级",
                "行政等级",
                "等级",
                "类别",
                "class",
                "type",
                "highway",
                "fclass",
            ),
            example="县道",
            help="县道/国道/省道 county, 乡道 township, 村道 village (or OSM highway values)",
        ),
        Field(
            "speed_kmh",
            "float",
            "速度(km/h)",
            "speed (km/h)",
            positive=True,
            example=60,
            help="without it: 60 county, 40 township, 25 village",
        ),
        Field("closed", "bool", "是否封闭", "closed", default=False, example="否"),
        Field("source", "int", "起点节点", "source node", example=None),
        Field("target", "int", "终点节点", "target node", example=None),
    ),
    prepare=_prepare,
    readers={".osm.pbf": osm.read, ".pbf": osm.read},
    help="the road network (the whole of it): lines, or an OpenStreetMap extract (.osm.pbf)",
)
