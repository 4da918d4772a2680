"""Townships, villages, shelters, roads, hazard sites and responsible persons: reads and updates."""
