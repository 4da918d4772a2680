"""Users, roles and tokens, the audit helper's callers' identity, and the request dependencies (deps.py)."""
