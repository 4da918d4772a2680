"""The one-map: vector tiles (ST_AsMVT via backend/sql), their cache, the offline relief base map."""
