"""Graded warnings: lifecycle (proposals, drafts, issue/update/cancel), texts, CAP 1.2 and Atom,
叫应 acks, escalation, and the warning jobs."""
