"""A deterministic, realistic synthetic county (modelled on a hilly county of southern Jiangxi)."""
