-- One hazard layer (or the one-map) of a run: dissolved level zones at the zoom's detail.
WITH bounds AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS env,
         ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096) AS search
), features AS (
  SELECT ST_AsMVTGeom(zn.geom_3857, b.env::box2d, 4096, 64, true) AS geom,
         zn.level, zn.dominant_hazard AS dominant
  FROM risk_zone zn, bounds b
  WHERE zn.run_id = :run AND zn.hazard = :hazard AND zn.detail = :detail
    AND zn.geom_3857 && b.search
)
SELECT ST_AsMVT(features.*, :layer, 4096, 'geom') FROM features WHERE geom IS NOT NULL
