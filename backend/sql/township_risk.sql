-- Per township of one run: the one-map level and why, exposure, and each hazard's own level.
SELECT t.id, t.code, t.name, t.population,
       ST_X(ST_PointOnSurface(t.geom)) AS label_lon, ST_Y(ST_PointOnSurface(t.geom)) AS label_lat,
       o.level, o.dominant_hazard,
       o.area_share_1, o.area_share_2, o.area_share_3, o.area_share_4,
       o.exposed_1, o.exposed_2, o.exposed_3, o.exposed_4,
       r.level AS rain_level, f.level AS fire_level, g.level AS geohazard_level
FROM township t
JOIN township_risk o ON o.township_id = t.id AND o.run_id = :run_id AND o.hazard = 'onemap'
LEFT JOIN township_risk r ON r.township_id = t.id AND r.run_id = :run_id AND r.hazard = 'rain'
LEFT JOIN township_risk f ON f.township_id = t.id AND f.run_id = :run_id AND f.hazard = 'fire'
LEFT JOIN township_risk g ON g.township_id = t.id AND g.run_id = :run_id AND g.hazard = 'geohazard'
ORDER BY o.level DESC, (o.exposed_4 + o.exposed_3) DESC, t.code
