-- Staged townships without a population get the sum over their loaded villages (or 0).
UPDATE import_stage s
SET population = coalesce((SELECT sum(v.population) FROM village v JOIN township t ON t.id = v.township_id
                           WHERE t.code = s.code), 0)
WHERE s.population IS NULL
RETURNING s.i
