-- Evacuation routes of a plan: persons, minutes and the shelter they lead to.
WITH bounds AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS env,
         ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096) AS search
), features AS (
  SELECT ST_AsMVTGeom(a.geom_3857, b.env::box2d, 4096, 64, true) AS geom,
         a.id, a.persons, a.elderly, a.trips, round(a.minutes::numeric, 1)::float8 AS minutes,
         s.name AS shelter, v.name AS village
  FROM evacuation_assignment a
  JOIN village v ON v.id = a.village_id
  LEFT JOIN shelter s ON s.id = a.shelter_id
  CROSS JOIN bounds b
  WHERE a.plan_id = :plan AND a.geom_3857 IS NOT NULL AND a.geom_3857 && b.search
)
SELECT ST_AsMVT(features.*, 'routes', 4096, 'geom') FROM features WHERE geom IS NOT NULL
