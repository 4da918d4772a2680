-- Staged points outside the county: its boundary when one is loaded, else all its townships.
-- Nothing loaded yet: nothing to check against.
WITH c AS (SELECT ST_Union(geom) AS g FROM county),
     t AS (SELECT ST_Union(geom) AS g FROM township)
SELECT s.i, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
       CASE WHEN (SELECT g FROM c) IS NOT NULL THEN 'county' ELSE 'townships' END AS against
FROM import_stage s
WHERE CASE
        WHEN (SELECT g FROM c) IS NOT NULL THEN NOT ST_Covers((SELECT g FROM c), s.geom)
        WHEN (SELECT g FROM t) IS NOT NULL THEN NOT ST_Covers((SELECT g FROM t), s.geom)
        ELSE false
      END
ORDER BY s.i
