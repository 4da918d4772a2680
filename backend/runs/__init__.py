"""Risk runs as the service sees them: list, latest, one run, per-township risk."""
