-- The assignments of a plan, served and unserved, with names and the route as GeoJSON.
SELECT a.id, v.code AS village_code, v.name AS village, t.code AS township_code, t.name AS township,
       a.persons, a.elderly, a.trips, a.minutes, a.reason,
       s.code AS shelter_code, s.name AS shelter, s.class AS shelter_class,
       ST_AsGeoJSON(a.geom, 6) AS geometry, ST_Length(a.geom::geography) AS route_m,
       round(ST_X(v.geom)::numeric, 6)::float8 AS lon, round(ST_Y(v.geom)::numeric, 6)::float8 AS lat
FROM evacuation_assignment a
JOIN village v ON v.id = a.village_id
JOIN township t ON t.id = v.township_id
LEFT JOIN shelter s ON s.id = a.shelter_id
WHERE a.plan_id = :p
ORDER BY t.code, v.code, s.code NULLS LAST
