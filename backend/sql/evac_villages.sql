-- Villages with the run's one-map level where they stand and the people threatened by active
-- hazard sites (a site is active where the run's geohazard level reaches :site_level). A village
-- with flash-flood indicators takes its rain level from them (village_flood_risk): its level is
-- then the higher of that and the fire and geohazard levels where it stands.
SELECT v.id, v.code, v.name, v.population, v.elderly, t.id AS township_id, t.code AS township_code,
       t.name AS township, ST_X(v.geom) AS lon, ST_Y(v.geom) AS lat,
       coalesce((SELECT GREATEST(max(f.level),
                                 coalesce((SELECT max(z.level) FROM risk_zone_part z
                                           WHERE z.run_id = :run AND z.hazard IN ('fire', 'geohazard')
                                             AND z.geom && v.geom AND ST_Intersects(z.geom, v.geom)), 0))
                 FROM village_flood_risk f WHERE f.run_id = :run AND f.village_id = v.id
                 HAVING count(*) > 0),
                (SELECT max(z.level) FROM risk_zone_part z
                 WHERE z.run_id = :run AND z.hazard = 'onemap'
                   AND z.geom && v.geom AND ST_Intersects(z.geom, v.geom)), 0) AS level,
       coalesce((SELECT sum(h.threatened_people) FROM hazard_site h
                 WHERE (h.village_id = v.id
                        -- index prefilter in degrees (threat radii stay under 600 m), then metres
                        OR (ST_DWithin(h.geom, v.geom, 0.006)
                            AND ST_DWithin(h.geom::geography, v.geom::geography, h.threat_radius_m)))
                   AND EXISTS (SELECT 1 FROM risk_zone_part z
                               WHERE z.run_id = :run AND z.hazard = 'geohazard'
                                 AND z.level >= :site_level AND z.geom && h.geom
                                 AND ST_Intersects(z.geom, h.geom))), 0) AS threatened
FROM village v JOIN township t ON t.id = v.township_id
ORDER BY v.id
