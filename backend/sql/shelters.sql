-- Shelters as GeoJSON features, with free capacity and safety in a run (not in orange/red).
SELECT s.id, s.code, s.name, s.class, s.area_m2, s.capacity, s.occupancy, s.status,
       greatest(s.capacity - s.occupancy, 0) AS free, t.code AS township_code, t.name AS township,
       ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
       CASE WHEN CAST(:run AS integer) IS NULL THEN NULL ELSE NOT EXISTS (
         SELECT 1 FROM risk_zone_part zn
         WHERE zn.run_id = :run AND zn.hazard = 'onemap' AND zn.level >= 3
           AND zn.geom && s.geom AND ST_Intersects(zn.geom, s.geom)) END AS safe
FROM shelter s LEFT JOIN township t ON t.id = s.township_id
WHERE (CAST(:township AS text) IS NULL OR t.code = :township)
ORDER BY t.code, s.capacity DESC, s.code
