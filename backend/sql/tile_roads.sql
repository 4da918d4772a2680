-- Roads by class for the zoom: county roads from z0, township roads from z10, village roads z12;
-- flooded where the run's rain level is red (evacuation routes avoid them, Options.flood_level).
WITH bounds AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS env,
         ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096) AS search
), features AS (
  SELECT ST_AsMVTGeom(ST_Simplify(r.geom_3857, :tolerance), b.env::box2d, 4096, 64, true) AS geom,
         r.id, r.name, r.class, r.closed,
         EXISTS (SELECT 1 FROM risk_zone_part z
                 WHERE z.run_id = :run AND z.hazard = 'rain' AND z.level >= 4
                   AND z.geom && r.geom AND ST_Intersects(z.geom, r.geom)) AS flooded
  FROM road r, bounds b
  WHERE r.geom_3857 && b.search
    AND (r.class = 'county' OR (r.class = 'township' AND :z >= 10) OR :z >= 12 OR r.closed)
)
SELECT ST_AsMVT(features.*, 'roads', 4096, 'geom') FROM features WHERE geom IS NOT NULL
