-- Townships (staged, and loaded ones the file does not replace) overlapping by more than
-- :min_m2 square metres; at least one of each pair is staged.
WITH towns AS (
  SELECT s.i, s.code, s.name, s.geom FROM import_stage s
  UNION ALL
  SELECT NULL::int, t.code, t.name, t.geom FROM township t
  WHERE NOT EXISTS (SELECT 1 FROM import_stage s WHERE s.code = t.code)
)
SELECT a.i, b.i AS j, a.code, a.name, b.code AS other_code, b.name AS other_name, o.m2,
       ST_X(o.p) AS lon, ST_Y(o.p) AS lat
FROM towns a
-- interiors meet (neighbours that only share their border are left alone without an intersection)
JOIN towns b ON a.code < b.code AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********')
CROSS JOIN LATERAL (SELECT ST_Intersection(a.geom, b.geom) AS g) x
CROSS JOIN LATERAL (SELECT ST_Area(x.g::geography) AS m2, ST_PointOnSurface(x.g) AS p) o
WHERE (a.i IS NOT NULL OR b.i IS NOT NULL) AND o.m2 > :min_m2
ORDER BY o.m2 DESC
