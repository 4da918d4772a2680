WITH bounds AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS env,
         ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096) AS search
), features AS (
  SELECT ST_AsMVTGeom(h.geom_3857, b.env::box2d, 4096, 64, true) AS geom,
         h.id, h.code, h.name, h.kind, h.threatened_people
  FROM hazard_site h, bounds b
  WHERE h.geom_3857 && b.search
)
SELECT ST_AsMVT(features.*, 'hazard_sites', 4096, 'geom') FROM features WHERE geom IS NOT NULL
