-- What is loaded of the county, and what is missing, in one row (``riskmap county show``).
SELECT
  (SELECT name FROM county ORDER BY id LIMIT 1) AS county_name,
  (SELECT code FROM county ORDER BY id LIMIT 1) AS county_code,
  (SELECT count(*) FROM county) AS counties,
  (SELECT count(*) FROM township) AS townships,
  (SELECT count(*) FROM village) AS villages,
  (SELECT coalesce(sum(population), 0) FROM village) AS population,
  (SELECT coalesce(sum(elderly), 0) FROM village) AS elderly,
  (SELECT count(*) FROM shelter) AS shelters,
  (SELECT coalesce(sum(capacity), 0) FROM shelter) AS shelter_capacity,
  (SELECT count(*) FROM road) AS roads,
  (SELECT coalesce(round(sum(length_m) / 1000), 0) FROM road) AS road_km,
  (SELECT count(*) FROM road WHERE closed) AS roads_closed,
  (SELECT count(*) FROM hazard_site) AS hazard_sites,
  (SELECT coalesce(sum(threatened_people), 0) FROM hazard_site) AS threatened_people,
  (SELECT count(*) FROM recipient WHERE active) AS recipients,
  (SELECT count(*) FROM river) AS rivers,
  (SELECT count(*) FROM risk_run WHERE status = 'published') AS published_runs,
  (SELECT max(id) FROM risk_run WHERE status = 'published') AS latest_run,
  -- what is missing
  (SELECT coalesce(array_agg(t.name ORDER BY t.code), '{}') FROM township t
   WHERE NOT EXISTS (SELECT 1 FROM recipient r WHERE r.active AND r.role = 'township_leader'
                     AND r.township_id = t.id)) AS townships_without_leader,
  (SELECT coalesce(array_agg(v.name ORDER BY v.code), '{}') FROM village v
   WHERE NOT EXISTS (SELECT 1 FROM recipient r WHERE r.active AND r.village_id = v.id
                     AND r.role IN ('village_head', 'grid_worker'))) AS villages_without_recipient,
  (SELECT coalesce(array_agg(s.name ORDER BY s.code), '{}') FROM shelter s WHERE s.capacity = 0)
    AS shelters_without_capacity,
  (SELECT count(*) FROM shelter WHERE township_id IS NULL) AS shelters_without_township,
  (SELECT count(*) FROM hazard_site WHERE village_id IS NULL) AS hazard_sites_without_village,
  (SELECT count(*) FROM recipient WHERE active AND phone IS NULL AND email IS NULL) AS recipients_unreachable,
  (SELECT count(*) FROM village v JOIN township t ON t.id = v.township_id WHERE NOT ST_Covers(t.geom, v.geom))
    AS villages_outside_their_township,
  (SELECT count(*) FROM village v WHERE EXISTS (SELECT 1 FROM road) AND NOT EXISTS
     (SELECT 1 FROM road r WHERE ST_DWithin(r.geom, v.geom, :far_deg)
      AND ST_DWithin(r.geom::geography, v.geom::geography, :far_m))) AS villages_far_from_roads,
  (SELECT count(*) FROM shelter s WHERE EXISTS (SELECT 1 FROM road) AND NOT EXISTS
     (SELECT 1 FROM road r WHERE ST_DWithin(r.geom, s.geom, :far_deg)
      AND ST_DWithin(r.geom::geography, s.geom::geography, :far_m))) AS shelters_far_from_roads,
  (SELECT CASE WHEN count(*) = 0 THEN NULL ELSE
     ST_Area(ST_Intersection((SELECT ST_Union(geom) FROM county), (SELECT ST_Union(geom) FROM township))::geography)
     / nullif(ST_Area((SELECT ST_Union(geom) FROM county)::geography), 0) END
   FROM county) AS county_covered_share
