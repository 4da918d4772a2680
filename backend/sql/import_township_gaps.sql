-- Gaps the townships (staged, and loaded ones the file does not replace) leave: the parts of the
-- county boundary they do not cover, or, with no boundary loaded, holes inside their union;
-- each larger than :min_m2 square metres.
WITH towns AS (
  SELECT s.geom FROM import_stage s
  UNION ALL
  SELECT t.geom FROM township t WHERE NOT EXISTS (SELECT 1 FROM import_stage s WHERE s.code = t.code)
),
u AS (SELECT ST_Union(geom) AS g FROM towns),
c AS (SELECT ST_Union(geom) AS g FROM county),
gaps AS (
  SELECT (ST_Dump(ST_Difference(c.g, u.g))).geom AS g FROM c, u WHERE c.g IS NOT NULL
  UNION ALL
  SELECT ST_MakePolygon(ST_InteriorRingN(p.g, n))
  FROM (SELECT (ST_Dump(u.g)).geom AS g FROM u) p
  CROSS JOIN LATERAL generate_series(1, ST_NumInteriorRings(p.g)) n
  WHERE (SELECT g FROM c) IS NULL
)
SELECT ST_Area(g::geography) AS m2, ST_X(ST_PointOnSurface(g)) AS lon, ST_Y(ST_PointOnSurface(g)) AS lat
FROM gaps
WHERE ST_Area(g::geography) > :min_m2
ORDER BY m2 DESC
