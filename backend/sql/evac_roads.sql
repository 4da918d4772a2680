-- The road graph with the hazard levels each segment crosses in the run.
SELECT r.id, r.source, r.target, r.length_m, r.speed_kmh, r.class, r.closed,
       ST_X(ST_StartPoint(r.geom)) AS x0, ST_Y(ST_StartPoint(r.geom)) AS y0,
       ST_X(ST_EndPoint(r.geom)) AS x1, ST_Y(ST_EndPoint(r.geom)) AS y1,
       ST_AsBinary(r.geom) AS wkb,
       coalesce((SELECT max(z.level) FROM risk_zone_part z
                 WHERE z.run_id = :run AND z.hazard = 'rain'
                   AND z.geom && r.geom AND ST_Intersects(z.geom, r.geom)), 0) AS rain_level,
       coalesce((SELECT max(z.level) FROM risk_zone_part z
                 WHERE z.run_id = :run AND z.hazard = 'onemap'
                   AND z.geom && r.geom AND ST_Intersects(z.geom, r.geom)), 0) AS level
FROM road r
ORDER BY r.id
