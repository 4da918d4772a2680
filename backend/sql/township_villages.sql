-- The villages of one township with the run's one-map level where they stand, worst first.
SELECT v.code, v.name, v.population, v.elderly, v.households,
       round(ST_X(v.geom)::numeric, 6)::float8 AS lon, round(ST_Y(v.geom)::numeric, 6)::float8 AS lat,
       coalesce((SELECT max(z.level) FROM risk_zone_part z
                 WHERE z.run_id = :run AND z.hazard = 'onemap'
                   AND z.geom && v.geom AND ST_Intersects(z.geom, v.geom)), 0) AS level
FROM village v JOIN township t ON t.id = v.township_id
WHERE t.code = :township
ORDER BY level DESC, v.population DESC, v.code
