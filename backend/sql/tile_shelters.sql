-- Shelters with capacity, occupancy and whether they are safe in the run (not in orange/red).
WITH bounds AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS env,
         ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096) AS search
), features AS (
  SELECT ST_AsMVTGeom(s.geom_3857, b.env::box2d, 4096, 64, true) AS geom,
         s.id, s.code, s.name, s.class, s.capacity, s.occupancy, s.status,
         greatest(s.capacity - s.occupancy, 0) AS free,
         NOT EXISTS (SELECT 1 FROM risk_zone_part zn
                     WHERE zn.run_id = :run AND zn.hazard = 'onemap'
                       AND zn.level >= 3 AND zn.geom && s.geom
                       AND ST_Intersects(zn.geom, s.geom)) AS safe
  FROM shelter s, bounds b
  WHERE s.geom_3857 && b.search
)
SELECT ST_AsMVT(features.*, 'shelters', 4096, 'geom') FROM features WHERE geom IS NOT NULL
