WITH bounds AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS env,
         ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096) AS search
), features AS (
  SELECT ST_AsMVTGeom(ST_Simplify(c.geom_3857, :tolerance, true), b.env::box2d, 4096, 64, true) AS geom
  FROM county_outline c, bounds b
  WHERE c.geom_3857 && b.search
)
SELECT ST_AsMVT(features.*, 'county', 4096, 'geom') FROM features WHERE geom IS NOT NULL
