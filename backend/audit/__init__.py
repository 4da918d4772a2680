"""The audit log as admins read it: who changed what, when, filtered and exported."""
