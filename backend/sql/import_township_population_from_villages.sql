-- Townships that came without a population (0) take the sum over their villages.
UPDATE township t SET population = v.people
FROM (SELECT township_id, sum(population) AS people FROM village GROUP BY township_id) v
WHERE t.id = v.township_id AND t.population = 0 AND v.people > 0
