-- Villages (points) with people, elderly and the one-map level where they stand (for a village with
-- flash-flood indicators, its rain level comes from them: see evac_villages.sql).
WITH bounds AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS env,
         ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096) AS search
), features AS (
  SELECT ST_AsMVTGeom(v.geom_3857, b.env::box2d, 4096, 64, true) AS geom,
         v.id, v.code, v.name, v.population, v.elderly,
         coalesce((SELECT GREATEST(max(f.level),
                                   coalesce((SELECT max(zn.level) FROM risk_zone_part zn
                                             WHERE zn.run_id = :run AND zn.hazard IN ('fire', 'geohazard')
                                               AND zn.geom && v.geom AND ST_Intersects(zn.geom, v.geom)), 0))
                   FROM village_flood_risk f WHERE f.run_id = :run AND f.village_id = v.id
                   HAVING count(*) > 0),
                  (SELECT max(zn.level) FROM risk_zone_part zn
                   WHERE zn.run_id = :run AND zn.hazard = 'onemap'
                     AND zn.geom && v.geom AND ST_Intersects(zn.geom, v.geom)), 0)
           AS level
  FROM village v, bounds b
  WHERE v.geom_3857 && b.search AND (:z >= 10 OR v.population >= :min_population)
)
SELECT ST_AsMVT(features.*, 'villages', 4096, 'geom') FROM features WHERE geom IS NOT NULL
