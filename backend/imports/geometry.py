"""Positions and shapes of imported rows, in EPSG:4326: from the file's own geometry, from lon/lat
(or projected x/y) columns, or from a WKT column; reprojected from the file's CRS (or
``--crs``), web-map offsets (GCJ-02, BD-09) removed, shapes checked and, where safe, repaired.
"""

from __future__ import annotations

import numpy as np
import shapely

from backend.imports import coords, crs
from backend.imports.spec import Batch, ImportUsageError
from backend.imports.values import Bad, degrees, is_empty, number

#: make_valid is "safe" when the repaired shape keeps its area to within this share
REPAIR_AREA_TOLERANCE = 0.01


def _given_crs(batch: Batch):
    try:
        return crs.parse_crs(batch.options.crs) if batch.options.crs else None
    except crs.CRSProblem as exc:
        raise ImportUsageError(str(exc)) from exc


def _cells(batch: Batch, name: str, parse) -> np.ndarray:
    header = batch.columns[name]
    out = np.full(len(batch), np.nan)
    for i, raw in enumerate(batch.source.frame[header].tolist()):
        if is_empty(raw):
            batch.error(i, name, raw, "missing")
            continue
        try:
            out[i] = parse(raw)
        except Bad as exc:
            batch.error(i, name, raw, str(exc))
    return out


def _from_columns(batch: Batch):
    """Points from lon/lat or x/y columns, and their CRS."""
    given = _given_crs(batch)
    cols = batch.columns
    if {"lon", "lat"} <= set(cols):
        x, y = _cells(batch, "lon", degrees), _cells(batch, "lat", degrees)
        src = given or crs.STORAGE
        if not src.is_geographic:
            raise ImportUsageError(f"--crs {batch.options.crs} is projected, but the file gives lon/lat")
    else:
        x, y = _cells(batch, "x", number), _cells(batch, "y", number)
        if given is not None:
            src = given
        elif crs.looks_geographic(x, y):
            src = crs.STORAGE
        else:
            if crs.northing_first(x, y):
                x, y = y, x
                batch.note("x holds northings and y eastings (the surveying convention): swapped")
            try:
                src = crs.gk_zone_crs(x)
            except crs.CRSProblem as exc:
                raise ImportUsageError(f"{batch.source.path.name}: {exc}") from exc
            if src is None:
                raise ImportUsageError(
                    f"{batch.source.path.name}: x/y look projected but name no zone; give --crs EPSG:NNNN "
                    "(e.g. EPSG:4547 for CGCS2000 / 3-degree Gauss-Kruger CM 114E)"
                )
            batch.note(f"CRS {crs.describe(src)} ({src.name}) read from the zone prefix of x")
        if src.is_projected and crs.northing_first(x, y) and given is not None:
            x, y = y, x
            batch.note("x holds northings and y eastings (the surveying convention): swapped")
    ok = np.isfinite(x) & np.isfinite(y)
    geoms = np.full(len(batch), None, dtype=object)
    geoms[ok] = shapely.points(x[ok], y[ok])
    return geoms, src


def _from_wkt(batch: Batch):
    header = batch.columns["wkt"]
    geoms = np.full(len(batch), None, dtype=object)
    for i, raw in enumerate(batch.source.frame[header].tolist()):
        if is_empty(raw):
            batch.error(i, "wkt", raw, "missing geometry")
            continue
        try:
            geoms[i] = shapely.force_2d(shapely.from_wkt(str(raw).strip()))
        except shapely.errors.GEOSException:
            batch.error(i, "wkt", raw, "not WKT")
    return geoms, _given_crs(batch) or crs.STORAGE


def _reproject(batch: Batch, geoms: np.ndarray, src) -> np.ndarray:
    present = np.array([g is not None for g in geoms], dtype=bool)
    out = geoms.copy()
    system = batch.options.coords
    if src is not None and not crs.STORAGE.equals(src) and src.to_epsg() != crs.CGCS2000:
        t = crs.to_storage(src)
        out[present] = shapely.transform(
            geoms[present], lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
        )
    if system != "wgs84":
        if src is not None and src.is_projected:
            raise ImportUsageError(
                f"--coords {system} applies to longitudes and latitudes, not projected x/y"
            )
        out[present] = shapely.transform(
            out[present], lambda xy: np.column_stack(coords.to_wgs84(system, xy[:, 0], xy[:, 1]))
        )
        batch.note(f"coordinates converted from {system.upper()} to WGS84")
    return out


def _in_range(batch: Batch, geoms: np.ndarray) -> None:
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        xy = shapely.get_coordinates(g)
        if not np.isfinite(xy).all() or (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
            batch.error(i, "geometry", g.wkt[:60], "coordinates out of range after reprojection (wrong CRS?)")
            geoms[i] = None


def _normalise(batch: Batch, geoms: np.ndarray) -> np.ndarray:
    kind = batch.kind.geometry
    out = np.full(len(geoms), None, dtype=object)
    rejected = batch.rejected
    for i, g in enumerate(geoms):
        if g is None:
            if i not in rejected:
                batch.error(i, "geometry", None, "missing geometry")
            continue
        if g.is_empty:
            batch.error(i, "geometry", "EMPTY", "empty geometry")
            continue
        t = g.geom_type
        if kind == "point":
            if t == "MultiPoint" and len(g.geoms) == 1:
                g, t = g.geoms[0], "Point"
            if t != "Point":
                batch.error(i, "geometry", t, "not a point")
                continue
        elif kind == "polygon":
            if t == "Polygon":
                g = shapely.MultiPolygon([g])
            elif t != "MultiPolygon":
                batch.error(i, "geometry", t, "not a polygon")
                continue
            if not g.is_valid:
                g = _repair(batch, i, g)
                if g is None:
                    continue
        elif kind == "line" and t not in ("LineString", "MultiLineString"):
            batch.error(i, "geometry", t, "not a line")
            continue
        out[i] = g
    return out


def _repair(batch: Batch, i: int, g):
    reason = shapely.is_valid_reason(g)
    fixed = shapely.make_valid(g)
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type == "Polygon" and not p.is_empty]
    if fixed.geom_type == "GeometryCollection":
        parts = [
            q for p in shapely.get_parts(fixed) for q in shapely.get_parts(p) if q.geom_type == "Polygon"
        ]
    repaired = shapely.MultiPolygon(parts) if parts else None
    before = abs(g.area)  # the ring's own (shoelace) area, as the file drew it
    if repaired is None or not repaired.is_valid or before == 0:
        batch.error(i, "geometry", reason, "invalid geometry that cannot be repaired")
        return None
    change = abs(repaired.area - before) / before
    if change > REPAIR_AREA_TOLERANCE:
        batch.error(
            i, "geometry", reason, f"invalid geometry; repairing it would change its area by {change:.1%}"
        )
        return None
    batch.warn(
        i, "geometry", reason, f"invalid geometry repaired with make_valid (area changed by {change:.3%})"
    )
    return repaired


def build(batch: Batch) -> None:
    """Fill ``batch.geometry`` (EPSG:4326) and ``batch.crs`` for a kind with geometry."""
    if not batch.kind.geometry:
        return
    src = batch.source
    if src.geometry is not None:
        geoms, source_crs = src.geometry, src.crs
        given = _given_crs(batch)
        if source_crs is None and given is None:
            raise ImportUsageError(
                f"{src.path.name}: the file names no CRS (is its .prj missing?); give --crs EPSG:NNNN"
            )
        if given is not None:
            if source_crs is not None and not given.equals(source_crs):
                batch.note(
                    f"the file says {crs.describe(source_crs)}; --crs {crs.describe(given)} used instead"
                )
            source_crs = given
    elif "wkt" in batch.columns:
        geoms, source_crs = _from_wkt(batch)
    else:
        geoms, source_crs = _from_columns(batch)
    batch.crs = crs.describe(source_crs) if source_crs is not None else None
    geoms = _reproject(batch, np.asarray(geoms, dtype=object), source_crs)
    _in_range(batch, geoms)
    batch.geometry = _normalise(batch, geoms)
