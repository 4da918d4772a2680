-- Staged places whose stated township does not contain them, with the township they lie in.
SELECT s.i, t.code AS stated_code, t.name AS stated_name, o.code AS lies_code, o.name AS lies_name
FROM import_stage s
JOIN township t ON t.id = s.township_id
LEFT JOIN LATERAL (SELECT code, name FROM township x
                   WHERE x.geom && s.geom AND ST_Covers(x.geom, s.geom) ORDER BY x.id LIMIT 1) o ON true
WHERE NOT s.located AND NOT ST_Covers(t.geom, s.geom)
ORDER BY s.i
