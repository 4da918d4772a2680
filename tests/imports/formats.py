"""The generated sample county rewritten as the files a bureau has, with the real libraries:
a county GeoJSON, a zipped GBK shapefile of townships in a Gauss-Krüger CRS without .cpg,
villages and responsible persons as XLSX with Chinese headers (and a title row), shelters as a
GB18030 CSV with GCJ-02 web-map coordinates and no township column, hazard sites as a GeoPackage
with headers only ``--map`` explains, roads as an OpenStreetMap PBF written by pyosmium."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from backend.imports.coords import from_wgs84

GK = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
ROLE_ZH = {
    "county_duty": "值班员",
    "township_leader": "乡镇领导",
    "village_head": "村负责人",
    "grid_worker": "网格员",
    "monitor": "监测员",
}
KIND_ZH = {"landslide": "滑坡", "collapse": "崩塌", "debris_flow": "泥石流", "flood_point": "易涝点"}
CLASS_ZH = {"emergency": "紧急", "short": "短期", "medium": "中期", "long": "长期", "central": "中心"}
HIGHWAY = {"county": "secondary", "township": "tertiary", "village": "unclassified"}


def sample(sample_dir: Path) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    out = {
        n: gpd.read_file(sample_dir / f"{n}.gpkg")
        for n in ("county", "townships", "villages", "shelters", "hazard_sites", "roads")
    }
    out["recipients"] = pd.read_csv(sample_dir / "recipients.csv", dtype=str, keep_default_na=False)
    return out


def write_xlsx(path: Path, title: str, headers: list[str], rows: list[list], sheet: str) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append([title])  # an official title row above the headers
    ws.append(headers)
    for r in rows:
        ws.append(r)
    book.save(path)


def county_geojson(s, out: Path) -> Path:
    c = s["county"]
    gdf = gpd.GeoDataFrame(
        {"代码": [c.code[0][:6]], "名称": c.name, "人口": c.population}, geometry=c.geometry.values, crs=4326
    )
    path = out / "县界.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def townships_zip(s, out: Path, cpg: bool = False) -> Path:
    """A GBK shapefile in EPSG:4547 (zipped, without .cpg unless asked)."""
    t = s["townships"]
    gdf = gpd.GeoDataFrame(
        {"乡镇代码": t.code, "乡镇名称": t.name, "人口": t.population}, geometry=t.geometry.values, crs=4326
    ).to_crs(GK)
    d = out / "townships_shp"
    d.mkdir(exist_ok=True)
    gdf.to_file(d / "乡镇界.shp", encoding="GBK", engine="pyogrio")
    if not cpg:
        (d / "乡镇界.cpg").unlink()
    path = out / "乡镇界.zip"
    with zipfile.ZipFile(path, "w") as z:
        for f in sorted(d.iterdir()):
            z.write(f, f.name)
    return path


def villages_xlsx(s, out: Path, name: str = "行政村.xlsx") -> Path:
    v = s["villages"]
    towns = dict(zip(s["townships"].code, s["townships"].name, strict=True))
    headers = ["序号", "村名称", "村代码", "所属乡镇", "人口（人）", "老年人口", "户数", "经度", "纬度"]
    rows = [
        [
            k + 1,
            r.name,
            r.code,
            towns[r.township_code],
            int(r.population),
            int(r.elderly),
            int(r.households),
            float(r.geometry.x),
            float(r.geometry.y),
        ]
        for k, r in enumerate(v.itertuples())
    ]
    path = out / name
    write_xlsx(path, "云岭县行政村基本情况表", headers, rows, "村")
    return path


def villages_shp(s, out: Path) -> Path:
    """Villages as a plain GBK shapefile with its .cpg, in EPSG:4547."""
    v = s["villages"]
    gdf = gpd.GeoDataFrame(
        {
            "村代码": v.code,
            "村名": v.name,
            "乡镇代码": v.township_code,
            "人口": v.population,
            "老年人口": v.elderly,
            "户数": v.households,
        },
        geometry=v.geometry.values,
        crs=4326,
    ).to_crs(GK)
    d = out / "villages_shp"
    d.mkdir(exist_ok=True)
    gdf.to_file(d / "村.shp", encoding="GBK", engine="pyogrio")
    return d / "村.shp"


def villages_xy_csv(s, out: Path) -> Path:
    """Villages with surveying X (northing) / Y (easting, zone prefix 38) columns, no --crs needed."""
    v = s["villages"]
    xy = v.to_crs("EPSG:4526").geometry  # CGCS2000 / 3-degree Gauss-Kruger zone 38
    frame = pd.DataFrame(
        {
            "代码": v.code,
            "名称": v.name,
            "乡镇代码": v.township_code,
            "人口": v.population,
            "X坐标": xy.y.round(3),
            "Y坐标": xy.x.round(3),
        }
    )
    path = out / "村_xy.csv"
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def shelters_csv(s, out: Path) -> Path:
    """GB18030, GCJ-02 coordinates, Chinese class names, no township column (found by location)."""
    sh = s["shelters"]
    lon, lat = from_wgs84("gcj02", sh.geometry.x.values, sh.geometry.y.values)
    frame = pd.DataFrame(
        {
            "场所编号": sh.code,
            "场所名称": sh.name,
            "场所类型": [CLASS_ZH[c] for c in sh["class"]],
            "有效面积(㎡)": sh.area_m2,
            "可容纳人数": sh.capacity,
            "已安置人数": sh.occupancy,
            "状态": ["开放" if x == "open" else x for x in sh.status],
            "经度": [repr(float(x)) for x in lon],
            "纬度": [repr(float(x)) for x in lat],
        }
    )
    path = out / "避灾安置场所.csv"
    path.write_bytes(frame.to_csv(index=False, lineterminator="\n").encode("gb18030"))
    return path


def hazard_sites_gpkg(s, out: Path) -> Path:
    h = s["hazard_sites"]
    gdf = gpd.GeoDataFrame(
        {
            "SITE_NO": h.code,
            "灾种": [KIND_ZH[k] for k in h.kind],
            "隐患点名称": h.name,
            "乡镇代码": h.township_code,
            "村代码": h.village_code,
            "威胁人数": h.threatened_people,
            "RADIUS": h.threat_radius_m,
        },
        geometry=h.geometry.values,
        crs=4326,
    )
    path = out / "隐患点.gpkg"
    gdf.to_file(path, layer="隐患点", driver="GPKG", engine="pyogrio")
    return path


HAZARD_MAP = ["SITE_NO=code", "RADIUS=threat_radius_m"]


def recipients_xlsx(s, out: Path) -> Path:
    p = s["recipients"]
    headers = ["人员编号", "姓名", "责任人类型", "职务", "乡镇代码", "村代码", "手机", "邮箱"]
    rows = [
        [r.code, r.name, ROLE_ZH[r.role], r.title, r.township_code, r.village_code, r.phone, r.email]
        for r in p.itertuples()
    ]
    path = out / "责任人.xlsx"
    write_xlsx(path, "云岭县防汛防地灾责任人名单", headers, rows, "责任人")
    return path


def roads_pbf(s, out: Path) -> Path:
    """One OSM way per sample segment; the sample's graph nodes become shared OSM nodes."""
    import osmium

    r = s["roads"]
    path = out / "roads.osm.pbf"
    coords = shapely.get_coordinates
    nodes: dict[int, tuple[float, float]] = {}
    ways = []
    next_id = 10_000_000
    for row, cls in zip(r.itertuples(), r["class"].tolist(), strict=True):
        xy = coords(row.geometry)
        refs = [int(row.source)]
        nodes[int(row.source)] = tuple(xy[0])
        for x, y in xy[1:-1]:
            nodes[next_id] = (x, y)
            refs.append(next_id)
            next_id += 1
        refs.append(int(row.target))
        nodes[int(row.target)] = tuple(xy[-1])
        ways.append((int(row.id), refs, {"highway": HIGHWAY[cls], "name": row.name}))
    w = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        for nid in sorted(nodes):
            w.add_node(osmium.osm.mutable.Node(id=nid, location=nodes[nid], tags={}))
        for wid, refs, tags in ways:
            w.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))
    finally:
        w.close()
    return path


def metres(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances in metres between lon/lat points (pairs of rows of a and b), geodesic."""
    from pyproj import Geod

    _, _, d = Geod(ellps="WGS84").inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return np.abs(d)
