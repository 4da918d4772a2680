-- Each hazard's level at a point from the run's zones (when its rasters are not on this machine).
SELECT hazard, max(level) AS level
FROM risk_zone_part
WHERE run_id = :run AND geom && ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)
  AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
GROUP BY hazard
