-- Villages of one run whose rain reaches a flash-flood indicator (山洪灾害预警指标), one row per window.
SELECT t.code AS township_code, t.name AS township, v.code, v.name, f.hours, f.prepare_mm, f.move_mm,
       f.max_rain_mm, f.prepare_at, f.move_at, f.level
FROM village_flood_risk f
JOIN village v ON v.id = f.village_id
JOIN township t ON t.id = v.township_id
WHERE f.run_id = :run_id AND f.level > 0
ORDER BY t.code, v.code, f.hours
