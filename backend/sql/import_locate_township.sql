-- A staged place without a township gets the township it lies in (the lowest id where two
-- overlap); returns the rows still without one.
UPDATE import_stage s
SET township_id = (SELECT t.id FROM township t
                   WHERE t.geom && s.geom AND ST_Covers(t.geom, s.geom)
                   ORDER BY t.id LIMIT 1),
    located = true
WHERE s.township_id IS NULL
RETURNING s.i, s.township_id
