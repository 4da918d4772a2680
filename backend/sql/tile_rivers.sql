WITH bounds AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS env,
         ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096) AS search
), features AS (
  SELECT ST_AsMVTGeom(ST_Simplify(r.geom_3857, :tolerance), b.env::box2d, 4096, 64, true) AS geom,
         r.kind, r.name
  FROM river r, bounds b
  WHERE r.geom_3857 && b.search
)
SELECT ST_AsMVT(features.*, 'rivers', 4096, 'geom') FROM features WHERE geom IS NOT NULL
