"""Roads from an OpenStreetMap extract (``.osm.pbf``, e.g. from Geofabrik), read with pyosmium.

Ways tagged ``highway=*`` that cars use become segments, cut at every node another way shares
(OSM junctions), so the segments meet end to end and the graph is noded by construction.
Highway tags map to our three road classes and a travel speed (``maxspeed`` wins when it says
a number); paths, footways, steps, cycleways and roads under construction are left out.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from backend.imports.spec import ImportUsageError, Options, Source

#: highway tag → (our class, speed km/h). County roads are the trunk network (国道/省道/县道 in
#: China are tagged trunk/primary/secondary), township roads tertiary (乡道), the rest village.
HIGHWAY = {
    "motorway": ("county", 100.0),
    "motorway_link": ("county", 60.0),
    "trunk": ("county", 80.0),
    "trunk_link": ("county", 50.0),
    "primary": ("county", 70.0),
    "primary_link": ("county", 50.0),
    "secondary": ("county", 60.0),
    "secondary_link": ("county", 40.0),
    "tertiary": ("township", 40.0),
    "tertiary_link": ("township", 30.0),
    "unclassified": ("village", 25.0),
    "residential": ("village", 25.0),
    "road": ("village", 25.0),
    "living_street": ("village", 10.0),
    "service": ("village", 15.0),
    "track": ("village", 15.0),
}
_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?\s*$", re.IGNORECASE)


def maxspeed(tag: str | None) -> float | None:
    if not tag:
        return None
    m = _MAXSPEED.match(tag)
    if not m:
        return None
    value = float(m.group(1))
    return value * 1.609344 if (m.group(2) or "").lower() == "mph" else value


def read(path: Path, options: Options) -> Source:
    import osmium

    ways: list[tuple[int, list[int], np.ndarray, dict]] = []
    try:
        fp = osmium.FileProcessor(str(path)).with_locations().with_filter(osmium.filter.KeyFilter("highway"))
        for obj in fp:
            if not obj.is_way():
                continue
            tag = obj.tags.get("highway")
            if tag not in HIGHWAY or obj.tags.get("area") == "yes":
                continue
            refs, xy = [], []
            for n in obj.nodes:
                if not n.location.valid():
                    continue
                refs.append(n.ref)
                xy.append((n.lon, n.lat))
            if len(refs) < 2:
                continue
            tags = {k: obj.tags.get(k) for k in ("highway", "name", "ref", "maxspeed")}
            ways.append((obj.id, refs, np.asarray(xy), tags))
    except RuntimeError as exc:
        raise ImportUsageError(f"{path.name}: not a readable OpenStreetMap file ({exc})") from exc
    uses = Counter(r for _, refs, _, _ in ways for r in refs)
    rows, geoms, where = [], [], []
    for way_id, refs, xy, tags in ways:
        cuts = [0] + [k for k in range(1, len(refs) - 1) if uses[refs[k]] > 1] + [len(refs) - 1]
        parts = len(cuts) - 1
        for p in range(parts):
            seg = xy[cuts[p] : cuts[p + 1] + 1]
            cls, speed = HIGHWAY[tags["highway"]]
            rows.append(
                {
                    "osm_way": way_id,
                    "highway": tags["highway"],
                    "name": tags["name"] or tags["ref"],
                    "maxspeed": tags["maxspeed"],
                    "class": cls,
                    "speed_kmh": maxspeed(tags["maxspeed"]) or speed,
                }
            )
            geoms.append(shapely.LineString(seg))
            where.append(f"way {way_id}" + (f" part {p + 1}" if parts > 1 else ""))
    frame = pd.DataFrame(rows, columns=["osm_way", "highway", "name", "maxspeed", "class", "speed_kmh"])
    parsed = {
        "class": frame["class"].astype(object),
        "speed_kmh": frame["speed_kmh"].astype(object),
        "name": frame["name"].where(frame["name"].notna(), None).astype(object),
        "closed": pd.Series([False] * len(frame), dtype=object),
    }
    return Source(
        path=path,
        format="osm",
        frame=frame[["osm_way", "highway", "name", "maxspeed"]],
        where=where,
        line=[None] * len(frame),
        geometry=np.asarray(geoms, dtype=object),
        crs=CRS.from_epsg(4326),
        notes=[f"{len(ways)} OpenStreetMap ways cut into {len(frame)} segments at their junctions"],
        parsed=parsed,
    )
