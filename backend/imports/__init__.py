"""Import a county's own data (CLI `riskmap import`, HTTP `POST /api/import/{kind}`): see kinds.py."""
