-- Open shelters with room, and whether they stand in the run's orange/red one-map zones.
SELECT s.id, s.code, s.name, s.class, s.capacity, s.occupancy,
       greatest(s.capacity - s.occupancy, 0) AS remaining, s.status, t.code AS township_code,
       ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
       EXISTS (SELECT 1 FROM risk_zone_part z
               WHERE z.run_id = :run AND z.hazard = 'onemap' AND z.level >= 3
                 AND z.geom && s.geom AND ST_Intersects(z.geom, s.geom)) AS in_danger
FROM shelter s LEFT JOIN township t ON t.id = s.township_id
ORDER BY s.id
