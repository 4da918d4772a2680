-- Townships with the one-map level of a run and their active warnings.
WITH bounds AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS env,
         ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096) AS search
), features AS (
  SELECT ST_AsMVTGeom(ST_Simplify(t.geom_3857, :tolerance, true), b.env::box2d, 4096, 64, true) AS geom,
         t.id, t.code, t.name, t.population,
         coalesce(tr.level, 0) AS level, tr.dominant_hazard AS dominant,
         coalesce(tr.exposed_4, 0) AS exposed_red, coalesce(tr.exposed_3, 0) AS exposed_orange,
         coalesce(w.level, 0) AS warning_level, coalesce(w.n, 0) AS warnings
  FROM township t
  CROSS JOIN bounds b
  LEFT JOIN township_risk tr ON tr.township_id = t.id AND tr.run_id = :run AND tr.hazard = 'onemap'
  LEFT JOIN LATERAL (
    SELECT max(w.level) AS level, count(*) AS n
    FROM warning w JOIN warning_township wt ON wt.warning_id = w.id
    WHERE wt.township_id = t.id AND w.status IN ('issued', 'updated') AND w.expires > now()
  ) w ON true
  WHERE t.geom_3857 && b.search
)
SELECT ST_AsMVT(features.*, 'townships', 4096, 'geom') FROM features WHERE geom IS NOT NULL
