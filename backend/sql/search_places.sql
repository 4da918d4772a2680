-- Everything the search box finds: townships, villages, shelters, hazard sites and named roads,
-- each with a position (a point inside it) and, for areas and roads, its bounding box.
SELECT 'township' AS kind, t.code, t.name, NULL::text AS township,
       ST_X(ST_PointOnSurface(t.geom)) AS lon, ST_Y(ST_PointOnSurface(t.geom)) AS lat,
       ST_XMin(t.geom) AS xmin, ST_YMin(t.geom) AS ymin, ST_XMax(t.geom) AS xmax, ST_YMax(t.geom) AS ymax
FROM township t
UNION ALL
SELECT 'village', v.code, v.name, t.name, ST_X(v.geom), ST_Y(v.geom), NULL, NULL, NULL, NULL
FROM village v JOIN township t ON t.id = v.township_id
UNION ALL
SELECT 'shelter', s.code, s.name, t.name, ST_X(s.geom), ST_Y(s.geom), NULL, NULL, NULL, NULL
FROM shelter s LEFT JOIN township t ON t.id = s.township_id
UNION ALL
SELECT 'hazard_site', h.code, h.name, t.name, ST_X(h.geom), ST_Y(h.geom), NULL, NULL, NULL, NULL
FROM hazard_site h LEFT JOIN township t ON t.id = h.township_id
UNION ALL
SELECT 'road', min(r.id)::text, r.name, NULL,
       ST_X(ST_ClosestPoint(ST_Collect(r.geom), ST_Centroid(ST_Collect(r.geom)))),
       ST_Y(ST_ClosestPoint(ST_Collect(r.geom), ST_Centroid(ST_Collect(r.geom)))),
       ST_XMin(ST_Extent(r.geom)), ST_YMin(ST_Extent(r.geom)), ST_XMax(ST_Extent(r.geom)), ST_YMax(ST_Extent(r.geom))
FROM road r WHERE r.name IS NOT NULL AND r.name <> ''
GROUP BY r.name
