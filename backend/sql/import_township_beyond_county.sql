-- Staged townships reaching more than :min_m2 square metres beyond the loaded county boundary.
WITH c AS (SELECT ST_Union(geom) AS g FROM county)
SELECT s.i, ST_Area(ST_Difference(s.geom, c.g)::geography) AS m2
FROM import_stage s, c
WHERE c.g IS NOT NULL AND NOT ST_CoveredBy(s.geom, c.g)
  AND ST_Area(ST_Difference(s.geom, c.g)::geography) > :min_m2
ORDER BY s.i
