-- The township a point lies in, and the village nearest to it in that township (metres).
SELECT t.code AS township_code, t.name AS township,
       v.code AS village_code, v.name AS village,
       ST_Distance(v.geom::geography, p.geom::geography) AS village_m
FROM (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geom) p
JOIN township t ON ST_Intersects(t.geom, p.geom)
LEFT JOIN LATERAL (
  SELECT v.code, v.name, v.geom FROM village v WHERE v.township_id = t.id ORDER BY v.geom <-> p.geom LIMIT 1
) v ON true
LIMIT 1
