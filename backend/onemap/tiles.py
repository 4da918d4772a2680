"""Mapbox Vector Tiles straight from PostGIS, with a byte-bounded in-process cache.

One SQL query per tile (``backend/sql/tile_*.sql``, ST_AsMVT). Tiles of a published run (or of an
evacuation plan) never change, so their URLs are cached forever by browsers and here; live layers
(shelters, roads, warnings on townships) carry a data version in their cache key, read from
PostgreSQL's per-table change counters, so their ETag changes as soon as their data does.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from backend.errors import BadRequest, NotFound
from backend.sql import query

MAX_ZOOM = 22
WORLD_M = 40075016.68557849
RISK_LAYERS = ("onemap", "rain", "fire", "geohazard")


@dataclass(frozen=True)
class LayerSpec:
    name: str
    sql: str
    fields: dict[str, str]
    geometry: str
    description: str
    uses_run: bool = False
    uses_plan: bool = False
    tables: tuple[str, ...] = ()  # whose changes invalidate cached tiles
    minzoom: int = 0
    maxzoom: int = 16
    max_age: int = 300  # seconds, for tiles not addressed by an immutable run/plan


_ZONE_FIELDS = {"level": "Number", "dominant": "String"}
LAYERS: dict[str, LayerSpec] = {
    **{
        h: LayerSpec(
            h,
            "tile_zones",
            _ZONE_FIELDS,
            "polygon",
            f"{h} level zones of a run (1 blue … 4 red)",
            uses_run=True,
            max_age=60,
        )
        for h in RISK_LAYERS
    },
    "townships": LayerSpec(
        "townships",
        "tile_townships",
        {
            "id": "Number",
            "code": "String",
            "name": "String",
            "population": "Number",
            "level": "Number",
            "dominant": "String",
            "exposed_red": "Number",
            "exposed_orange": "Number",
            "warning_level": "Number",
            "warnings": "Number",
        },
        "polygon",
        "townships with the run's one-map level and active warnings",
        uses_run=True,
        tables=("township", "warning", "warning_township"),
        max_age=30,
    ),
    "villages": LayerSpec(
        "villages",
        "tile_villages",
        {
            "id": "Number",
            "code": "String",
            "name": "String",
            "population": "Number",
            "elderly": "Number",
            "level": "Number",
        },
        "point",
        "villages with people, elderly and the one-map level where they stand",
        uses_run=True,
        tables=("village",),
        minzoom=6,
        max_age=60,
    ),
    "shelters": LayerSpec(
        "shelters",
        "tile_shelters",
        {
            "id": "Number",
            "code": "String",
            "name": "String",
            "class": "String",
            "capacity": "Number",
            "occupancy": "Number",
            "free": "Number",
            "status": "String",
            "safe": "Boolean",
        },
        "point",
        "shelters with capacity, occupancy and safety in the run",
        uses_run=True,
        tables=("shelter",),
        minzoom=6,
        max_age=30,
    ),
    "hazard_sites": LayerSpec(
        "hazard_sites",
        "tile_hazard_sites",
        {"id": "Number", "code": "String", "name": "String", "kind": "String", "threatened_people": "Number"},
        "point",
        "known geological hazard sites (隐患点)",
        tables=("hazard_site",),
        minzoom=8,
    ),
    "roads": LayerSpec(
        "roads",
        "tile_roads",
        {"id": "Number", "name": "String", "class": "String", "closed": "Boolean", "flooded": "Boolean"},
        "line",
        "roads by class; closed segments at every zoom; flooded where the run's rain is red",
        uses_run=True,
        tables=("road",),
        max_age=30,
    ),
    "rivers": LayerSpec(
        "rivers", "tile_rivers", {"kind": "String", "name": "String"}, "line", "rivers", tables=("river",)
    ),
    "county": LayerSpec("county", "tile_county", {}, "polygon", "the county outline", tables=("township",)),
    "routes": LayerSpec(
        "routes",
        "tile_routes",
        {
            "id": "Number",
            "persons": "Number",
            "elderly": "Number",
            "trips": "Number",
            "minutes": "Number",
            "shelter": "String",
            "village": "String",
        },
        "line",
        "evacuation routes of a plan",
        uses_plan=True,
        minzoom=6,
    ),
}


def detail_for_zoom(z: int) -> int:
    """Zone generalisation for a zoom: 400 m cells below z9, 200 m below z11, then 100 m."""
    return 0 if z < 9 else 1 if z < 11 else 2


def pixel_m(z: int) -> float:
    """Size of one tile pixel (of 4096) in Web-Mercator metres at zoom ``z``."""
    return WORLD_M / (2**z * 4096)


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise BadRequest(f"zoom {z} is outside 0..{MAX_ZOOM}")
    n = 2**z
    if not (0 <= x < n and 0 <= y < n):
        raise BadRequest(f"tile {x}/{y} is outside the {n}×{n} matrix of zoom {z}")


class Tile(NamedTuple):
    """A rendered tile. The cache keeps it as a plain ``(gz, etag)`` tuple, which the garbage
    collector stops tracking once it has seen it: a full cache holds ~10⁵ tiles, and a full
    collection scanned all of them (130,000 cached tiles: 129 ms as objects, 30 ms as tuples)."""

    gz: bytes | None  # gzip of the MVT; None for an empty tile
    etag: str

    def body(self, accepts_gzip: bool) -> bytes:
        if self.gz is None:
            return b""
        return self.gz if accepts_gzip else gzip.decompress(self.gz)


@dataclass
class _LRU:
    max_bytes: int
    items: OrderedDict = field(default_factory=OrderedDict)
    size: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    hits: int = 0
    misses: int = 0

    def get(self, key) -> Tile | None:
        with self.lock:
            item = self.items.get(key)
            if item is None:
                self.misses += 1
                return None
            self.items.move_to_end(key)
            self.hits += 1
        return Tile(*item)

    def put(self, key, tile: Tile) -> None:
        cost = len(tile.gz or b"") + 200
        with self.lock:
            if key in self.items:
                return
            self.items[key] = (tile.gz, tile.etag)  # an exact tuple: see Tile
            self.size += cost
            while self.size > self.max_bytes and self.items:
                _, (old_gz, _etag) = self.items.popitem(last=False)
                self.size -= len(old_gz or b"") + 200


class TileService:
    def __init__(self, engine: Engine, cache_bytes: int = 256 * 1024 * 1024, version_ttl_s: float = 1.0):
        self.engine = engine
        self.cache = _LRU(cache_bytes)
        self.version_ttl_s = version_ttl_s
        self._published: set[int] = set()
        self._plans: set[int] = set()
        self._latest: tuple[float, int | None] = (0.0, None)
        self._versions: dict[tuple[str, ...], tuple[float, str]] = {}

    # ---- what a tile depends on --------------------------------------------------------------
    def resolve_run(self, conn, run: int | None) -> tuple[int | None, bool]:
        """(run id, addressed explicitly). Unknown or unpublished runs are 404."""
        if run is not None:
            if run not in self._published:
                status = conn.execute(
                    sa.text("SELECT status FROM risk_run WHERE id = :r"), {"r": run}
                ).scalar()
                if status is None:
                    raise NotFound(f"run {run} does not exist")
                if status != "published":
                    raise NotFound(f"run {run} is not published (status {status})")
                self._published.add(run)  # published runs are immutable
            return run, True
        at, latest = self._latest
        if time.monotonic() - at > self.version_ttl_s:
            latest = conn.execute(
                sa.text(
                    "SELECT id FROM risk_run WHERE status = 'published' "
                    "ORDER BY published_at DESC, id DESC LIMIT 1"
                )
            ).scalar()
            self._latest = (time.monotonic(), latest)
        return latest, False

    def resolve_plan(self, conn, plan: int | None) -> int:
        if plan is None:
            raise BadRequest("the routes layer needs ?plan=ID (an evacuation plan)")
        if plan not in self._plans:
            if (
                conn.execute(sa.text("SELECT 1 FROM evacuation_plan WHERE id = :p"), {"p": plan}).scalar()
                is None
            ):
                raise NotFound(f"evacuation plan {plan} does not exist")
            self._plans.add(plan)
        return plan

    def data_version(self, conn, tables: tuple[str, ...]) -> str:
        """Change counters of the tables (bumped by triggers on every write), cached briefly."""
        if not tables:
            return ""
        now = time.monotonic()
        cached = self._versions.get(tables)
        if cached and now - cached[0] < self.version_ttl_s:
            return cached[1]
        rows = conn.execute(
            sa.text(
                "SELECT table_name, version FROM data_version WHERE table_name = ANY(:t) ORDER BY table_name"
            ),
            {"t": list(tables)},
        ).all()
        version = ",".join(f"{n}:{c}" for n, c in rows)
        if "warning" in tables:  # active warnings also end by the clock
            version += f"@{int(time.time() // 60)}"
        self._versions[tables] = (now, version)
        return version

    # ---- rendering ---------------------------------------------------------------------------
    def _key_without_db(self, spec: LayerSpec, z, x, y, run, plan):
        """The cache key and Cache-Control if everything the tile depends on is known in memory."""
        now = time.monotonic()
        run_id, explicit = None, False
        if spec.uses_run:
            if run is not None:
                if run not in self._published:
                    return None
                run_id, explicit = run, True
            else:
                at, run_id = self._latest
                if now - at > self.version_ttl_s or run_id is None:
                    return None
        if spec.uses_plan and (plan is None or plan not in self._plans):
            return None
        version = ""
        if spec.tables:
            cached = self._versions.get(spec.tables)
            if not cached or now - cached[0] >= self.version_ttl_s:
                return None
            version = cached[1]
        key = (spec.name, z, x, y, run_id, plan if spec.uses_plan else None, version)
        return key, self._cache_control(spec, explicit)

    @staticmethod
    def _cache_control(spec: LayerSpec, explicit_run: bool) -> str:
        immutable = spec.uses_plan or (explicit_run and spec.name in RISK_LAYERS)
        return "public, max-age=31536000, immutable" if immutable else f"public, max-age={spec.max_age}"

    def cached(
        self, layer: str, z: int, x: int, y: int, run: int | None = None, plan: int | None = None
    ) -> tuple[Tile, str] | None:
        """A cached tile, found without touching the database (the hot path), or None."""
        spec = LAYERS.get(layer)
        if spec is None:
            raise NotFound(f"no layer {layer!r}; layers: {', '.join(LAYERS)}")
        check_tile(z, x, y)
        found = self._key_without_db(spec, z, x, y, run, plan)
        if found is None:
            return None
        tile = self.cache.get(found[0])
        return (tile, found[1]) if tile is not None else None

    def tile(
        self, layer: str, z: int, x: int, y: int, run: int | None = None, plan: int | None = None
    ) -> tuple[Tile, str]:
        """The tile and its Cache-Control: immutable when addressed by a run or plan id."""
        spec = LAYERS.get(layer)
        if spec is None:
            raise NotFound(f"no layer {layer!r}; layers: {', '.join(LAYERS)}")
        check_tile(z, x, y)
        with self.engine.connect() as conn:
            run_id, explicit_run = self.resolve_run(conn, run) if spec.uses_run else (None, False)
            plan_id = self.resolve_plan(conn, plan) if spec.uses_plan else None
            if layer in RISK_LAYERS and run_id is None:
                raise NotFound("no published run yet; run `riskmap pipeline run --sample`")
            version = self.data_version(conn, spec.tables)
            cache_control = self._cache_control(spec, explicit_run)
            key = (layer, z, x, y, run_id, plan_id, version)
            cached = self.cache.get(key)
            if cached is not None:
                return cached, cache_control
            params = {
                "z": z,
                "x": x,
                "y": y,
                "run": run_id if run_id is not None else -1,
                "plan": plan_id,
                "hazard": layer,
                "layer": layer,
                "detail": detail_for_zoom(z),
                "tolerance": pixel_m(z) * 2,
                "min_population": 3000,
            }
            data = conn.execute(query(spec.sql), params).scalar()
        mvt = bytes(data) if data else b""
        digest = hashlib.sha1(mvt + version.encode(), usedforsecurity=False).hexdigest()[:20]
        tile = Tile(gzip.compress(mvt, compresslevel=6, mtime=0) if mvt else None, f'"{digest}"')
        self.cache.put(key, tile)
        return tile, cache_control

    def bounds(self) -> list[float]:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    "(SELECT ST_Extent(geom) AS e FROM county_outline) s"
                )
            ).first()
        if row is None or row[0] is None:
            return [-180.0, -85.0511, 180.0, 85.0511]
        return [round(float(v), 5) for v in row]
